package pdagc.dag;

import java.util.ArrayList;
import java.util.List;
import pdagc.ir.Op;
import pdagc.ir.Shape;
import pdagc.mesh.Mesh;
import pdagc.partition.SpmdNode;
import pdagc.partition.SpmdProgram;

/**
 * materialize: instantiates the SPMD program on every rank: one node per op per GPU, data edges
 * within a GPU, and edges from every peer's input into each member of a collective. Node {@code
 * r * P + i} is op {@code i} on GPU {@code r}, so ids and order are stable.
 */
public final class Materialize {
    public static final String NAME = "materialize";

    private Materialize() {}

    public static PlanDag run(String deployment, String source, SpmdProgram program, int gpusPerNode) {
        Mesh mesh = program.mesh();
        int gpus = mesh.size();
        List<SpmdNode> ops = program.nodes();
        int p = ops.size();
        List<GpuInfo> gpuInfos = new ArrayList<>(gpus);
        List<DagNode> nodes = new ArrayList<>(gpus * p);
        List<DagEdge> edges = new ArrayList<>();
        for (int r = 0; r < gpus; r++) {
            List<Integer> coords = new ArrayList<>();
            for (int c : mesh.coords(r)) coords.add(c);
            gpuInfos.add(new GpuInfo(r, List.copyOf(coords), r / gpusPerNode));
            for (SpmdNode op : ops) {
                List<Shape> inputs = new ArrayList<>();
                for (int in : op.inputs()) inputs.add(ops.get(in).local());
                String collective = null;
                List<Integer> group = null;
                if (op.op() instanceof Op.Collective c) {
                    collective = op.name() + "#" + mesh.groupIndex(r, c.axes());
                    group = List.copyOf(mesh.group(r, c.axes()));
                }
                nodes.add(new DagNode(r * p + op.id(), r + ":" + op.name(), r, op.name(), op.op().name(), op.op().kind(), op.layer(),
                        List.copyOf(inputs), op.local(), collective, group, op.id()));
                for (int k = 0; k < op.inputs().size(); k++) {
                    edges.add(new DagEdge(r * p + op.inputs().get(k), r * p + op.id(), op.routing().get(k) ? EdgeKind.ROUTING : EdgeKind.DATA));
                }
                if (group != null) {
                    for (int peer : group) {
                        if (peer != r) edges.add(new DagEdge(peer * p + op.inputs().get(0), r * p + op.id(), EdgeKind.DATA));
                    }
                }
            }
        }
        List<Integer> all = new ArrayList<>();
        for (int r = 0; r < gpus; r++) all.add(r);
        return new PlanDag(deployment, source, mesh, gpusPerNode, program.dtype(), List.copyOf(gpuInfos), nodes, edges,
                List.of(new PlanDag.Role(0, List.copyOf(all))));
    }
}
