package pdagc.dag;

import java.util.ArrayList;
import java.util.List;
import pdagc.ir.Op;
import pdagc.ir.Shape;
import pdagc.mesh.Mesh;
import pdagc.mesh.Pipeline;
import pdagc.partition.SpmdNode;
import pdagc.partition.SpmdProgram;

/**
 * materialize: instantiates the SPMD program on every rank, in its stage's schedule: one node per
 * op of the stage's chunks per micro-batch, data edges within a GPU, edges from every peer's input
 * into each member of a collective, from a send to its recv, and order edges between consecutive
 * schedule units on a GPU. GPUs of one pp stage run one program: they form one role.
 */
public final class Materialize {
    public static final String NAME = "materialize";

    private Materialize() {}

    public static PlanDag run(String deployment, String source, SpmdProgram program, int gpusPerNode) {
        Mesh mesh = program.mesh();
        Pipeline pipeline = program.pipeline();
        int gpus = mesh.size();
        List<SpmdNode> ops = program.nodes();
        int p = ops.size();
        int m = pipeline.microBatches();
        List<List<Integer>> opsOfChunk = new ArrayList<>();
        for (int c = 0; c < pipeline.chunks(); c++) opsOfChunk.add(new ArrayList<>());
        for (SpmdNode op : ops) opsOfChunk.get(op.chunk()).add(op.id());

        List<GpuInfo> gpuInfos = new ArrayList<>(gpus);
        List<DagNode> nodes = new ArrayList<>();
        int[][] index = new int[gpus][];
        for (int r = 0; r < gpus; r++) {
            List<Integer> coords = new ArrayList<>();
            for (int c : mesh.coords(r)) coords.add(c);
            gpuInfos.add(new GpuInfo(r, List.copyOf(coords), r / gpusPerNode));
            index[r] = new int[m * p];
            java.util.Arrays.fill(index[r], -1);
            for (Pipeline.Unit unit : pipeline.order(mesh.coord(r, "pp"))) {
                for (int id : opsOfChunk.get(unit.chunk())) {
                    SpmdNode op = ops.get(id);
                    index[r][unit.microBatch() * p + id] = nodes.size();
                    nodes.add(node(nodes.size(), r, op, unit.microBatch(), m, ops, mesh));
                }
            }
        }
        List<DagEdge> edges = new ArrayList<>();
        for (DagNode n : nodes) {
            SpmdNode op = ops.get(n.program());
            int base = n.microBatch() * p;
            for (int k = 0; k < op.inputs().size(); k++) {
                int in = op.inputs().get(k);
                if (op.op() instanceof Op.Transfer t && !t.send()) {
                    int peer = n.group().get(0) == n.gpu() ? n.group().get(1) : n.group().get(0);
                    edges.add(new DagEdge(index[peer][base + in], n.index(), EdgeKind.DATA));
                    continue;
                }
                edges.add(new DagEdge(index[n.gpu()][base + in], n.index(), op.routing().get(k) ? EdgeKind.ROUTING : EdgeKind.DATA));
            }
            if (op.op() instanceof Op.Collective) {
                for (int peer : n.group()) {
                    if (peer != n.gpu()) edges.add(new DagEdge(index[peer][base + op.inputs().get(0)], n.index(), EdgeKind.DATA));
                }
            }
        }
        orderEdges(nodes, edges, pipeline, ops);
        List<PlanDag.Role> roles = new ArrayList<>();
        for (int s = 0; s < pipeline.stages(); s++) {
            List<Integer> members = new ArrayList<>();
            for (int r = 0; r < gpus; r++) if (mesh.coord(r, "pp") == s) members.add(r);
            roles.add(new PlanDag.Role(s, List.copyOf(members)));
        }
        return new PlanDag(deployment, source, mesh, gpusPerNode, program.dtype(), List.copyOf(gpuInfos), nodes, edges, List.copyOf(roles));
    }

    private static DagNode node(int index, int r, SpmdNode op, int mb, int m, List<SpmdNode> ops, Mesh mesh) {
        List<Shape> inputs = new ArrayList<>();
        for (int in : op.inputs()) inputs.add(ops.get(in).local());
        String suffix = m > 1 ? "@" + mb : "";
        String collective = null;
        List<Integer> group = null;
        if (op.op() instanceof Op.Collective c) {
            collective = op.name() + "#" + mesh.groupIndex(r, c.axes()) + suffix;
            group = List.copyOf(mesh.group(r, c.axes()));
        } else if (op.op() instanceof Op.Transfer t) {
            int stage = mesh.coord(r, "pp");
            int peerStage = t.send() ? t.toChunk() % Math.max(1, mesh.size("pp")) : t.fromChunk() % Math.max(1, mesh.size("pp"));
            int peer = r + (peerStage - stage) * stride(mesh, "pp");
            SpmdNode send = t.send() ? op : ops.get(op.inputs().get(0));
            collective = send.name() + "#" + mesh.groupIndex(r, List.of("pp")) + suffix;
            group = List.of(Math.min(r, peer), Math.max(r, peer));
        }
        return new DagNode(index, r + ":" + op.name() + suffix, r, op.name(), op.op().name(), op.op().kind(), op.layer(), List.copyOf(inputs),
                op.local(), collective, group, op.id(), mb);
    }

    /** The distance between ranks that differ by one in {@code axis}. */
    private static int stride(Mesh mesh, String axis) {
        int i = mesh.index(axis);
        int stride = 1;
        for (int j = mesh.axes().size() - 1; j > i; j--) stride *= mesh.axes().get(j).size();
        return stride;
    }

    /** Between consecutive schedule units on a GPU: the last node of one before the first of the next. */
    private static void orderEdges(List<DagNode> nodes, List<DagEdge> edges, Pipeline pipeline, List<SpmdNode> ops) {
        if (pipeline.microBatches() == 1 && pipeline.virtualStages() == 1) return;
        for (int i = 1; i < nodes.size(); i++) {
            DagNode prev = nodes.get(i - 1);
            DagNode cur = nodes.get(i);
            boolean newUnit = prev.microBatch() != cur.microBatch() || ops.get(prev.program()).chunk() != ops.get(cur.program()).chunk();
            if (prev.gpu() == cur.gpu() && newUnit) {
                edges.add(new DagEdge(prev.index(), cur.index(), EdgeKind.ORDER));
            }
        }
    }
}
