package pdagc.backend;

import java.util.ArrayList;
import java.util.List;
import pdagc.dag.DagEdge;
import pdagc.dag.DagNode;
import pdagc.dag.EdgeKind;
import pdagc.dag.GpuInfo;
import pdagc.dag.PlanDag;
import pdagc.ir.DType;
import pdagc.ir.NodeKind;
import pdagc.ir.Shape;
import pdagc.mesh.Mesh;

/**
 * Hand-built plans for the backend tests: 4 GPUs on a mesh [ep 2, tp 2] (two per cluster node),
 * each running one MoE layer: norm, row-parallel linear, all-reduce over its tp pair, router,
 * dispatch (fed by a routing edge) and all-to-all over its ep pair, between an input and an output.
 */
final class SmallPlans {
    static final Mesh MESH = new Mesh(List.of(new Mesh.Axis("ep", 2), new Mesh.Axis("tp", 2)));

    private SmallPlans() {}

    static PlanDag moe() {
        return moe("layers.0.moe.router", "Tiny");
    }

    /** The small plan with the router named {@code routerName} and the deployment {@code deployment}. */
    static PlanDag moe(String routerName, String deployment) {
        Builder b = new Builder();
        for (int gpu = 0; gpu < 4; gpu++) {
            int base = b.nodes.size();
            List<Integer> tpPair = MESH.group(gpu, List.of("tp"));
            List<Integer> epPair = MESH.group(gpu, List.of("ep"));
            b.node(gpu, "input", "input", NodeKind.IO, -1, List.of(), s(2, 16, 64), null, null, 0);
            b.node(gpu, "layers.0.norm", "layernorm", NodeKind.NORM, 0, List.of(s(2, 16, 64)), s(2, 16, 64), null, null, 1);
            b.node(gpu, "layers.0.attn.out", "linear", NodeKind.COMPUTE, 0, List.of(s(2, 16, 64)), s(2, 16, 64), null, null, 2);
            b.node(gpu, "layers.0.attn.all_reduce", "all_reduce", NodeKind.COLLECTIVE, 0, List.of(s(2, 16, 64)), s(2, 16, 64),
                    "layers.0.attn.all_reduce@" + tpPair.get(0), tpPair, 3);
            b.node(gpu, routerName, "router", NodeKind.ROUTING, 0, List.of(s(2, 16, 64)), s(2, 16, 2), null, null, 4);
            b.node(gpu, "layers.0.moe.dispatch", "dispatch", NodeKind.ROUTING, 0, List.of(s(2, 16, 64), s(2, 16, 2)),
                    s(2, 2, 16, 64), null, null, 5);
            b.node(gpu, "layers.0.moe.all_to_all", "all_to_all", NodeKind.COLLECTIVE, 0, List.of(s(2, 2, 16, 64)),
                    s(2, 2, 16, 64), "layers.0.moe.all_to_all@" + epPair.get(0), epPair, 6);
            b.node(gpu, "output", "output", NodeKind.IO, -1, List.of(s(2, 2, 16, 64)), s(2, 2, 16, 64), null, null, 7);
            b.edge(base, base + 1, EdgeKind.DATA);
            b.edge(base + 1, base + 2, EdgeKind.DATA);
            b.edge(base + 2, base + 3, EdgeKind.DATA);
            b.edge(base + 3, base + 4, EdgeKind.DATA);
            b.edge(base + 3, base + 5, EdgeKind.DATA);
            b.edge(base + 4, base + 5, EdgeKind.ROUTING);
            b.edge(base + 5, base + 6, EdgeKind.DATA);
            b.edge(base + 6, base + 7, EdgeKind.DATA);
        }
        for (int gpu = 0; gpu < 4; gpu++) {
            for (int peer : MESH.group(gpu, List.of("tp"))) if (peer != gpu) b.edge(peer * 8 + 2, gpu * 8 + 3, EdgeKind.DATA);
            for (int peer : MESH.group(gpu, List.of("ep"))) if (peer != gpu) b.edge(peer * 8 + 5, gpu * 8 + 6, EdgeKind.DATA);
        }
        return b.plan(deployment, List.of(new PlanDag.Role(0, List.of(0, 1, 2, 3))));
    }

    /** A plan of {@code perGpu} chained compute nodes on each of {@code gpus} GPUs (mesh [tp gpus]), one role per GPU. */
    static PlanDag chain(int gpus, int perGpu, int layers) {
        Builder b = new Builder(new Mesh(List.of(new Mesh.Axis("tp", gpus))));
        List<PlanDag.Role> roles = new ArrayList<>();
        for (int gpu = 0; gpu < gpus; gpu++) {
            for (int i = 0; i < perGpu; i++) {
                b.node(gpu, "op" + i, "linear", NodeKind.COMPUTE, i * layers / perGpu, List.of(s(4, 8)), s(4, 8), null, null, i);
                if (i > 0) b.edge(b.nodes.size() - 2, b.nodes.size() - 1, EdgeKind.DATA);
            }
            roles.add(new PlanDag.Role(gpu, List.of(gpu)));
        }
        return b.plan("Chain", roles);
    }

    /**
     * {@code n} GPUs on a mesh [ep n], each running linear, all-to-all over all n, linear; every
     * member's all-to-all has an edge from every member's first linear (n x n edges), as the plans
     * pdagc materializes have. With {@code missing}, GPU 1's all-to-all lacks the edge from GPU 0.
     */
    static PlanDag allToAll(int n, boolean missing) {
        Builder b = new Builder(new Mesh(List.of(new Mesh.Axis("ep", n))));
        List<Integer> all = new ArrayList<>();
        for (int g = 0; g < n; g++) all.add(g);
        for (int gpu = 0; gpu < n; gpu++) {
            int base = b.nodes.size();
            b.node(gpu, "layers.0.moe.up", "linear", NodeKind.COMPUTE, 0, List.of(s(4, 64)), s(4, 64), null, null, 0);
            b.node(gpu, "layers.0.moe.all_to_all", "all_to_all", NodeKind.COLLECTIVE, 0, List.of(s(4, 64)), s(4, 64),
                    "layers.0.moe.all_to_all@0", all, 1);
            b.node(gpu, "layers.0.moe.down", "linear", NodeKind.COMPUTE, 0, List.of(s(4, 64)), s(4, 64), null, null, 2);
            b.edge(base + 1, base + 2, EdgeKind.DATA);
        }
        for (int gpu = 0; gpu < n; gpu++) {
            for (int peer = 0; peer < n; peer++) {
                if (!(missing && gpu == 1 && peer == 0)) b.edge(peer * 3, gpu * 3 + 1, EdgeKind.DATA);
            }
        }
        return b.plan("AllToAll", List.of(new PlanDag.Role(0, all)));
    }

    static Shape s(long... dims) {
        return new Shape(dims);
    }

    /** Collects nodes and edges in plan order. */
    static final class Builder {
        final Mesh mesh;
        final List<DagNode> nodes = new ArrayList<>();
        final List<DagEdge> edges = new ArrayList<>();

        Builder() {
            this(MESH);
        }

        Builder(Mesh mesh) {
            this.mesh = mesh;
        }

        void node(int gpu, String name, String opName, NodeKind kind, int layer, List<Shape> in, Shape out,
                String collective, List<Integer> group, int program) {
            nodes.add(new DagNode(nodes.size(), gpu + ":" + name, gpu, name, op(opName), kind, layer, in, out, collective, group, program, 0));
        }

        /** A sample op of each name these plans use (their attributes do not matter here). */
        private static pdagc.ir.Op op(String name) {
            return switch (name) {
                case "input" -> new pdagc.ir.Op.Input();
                case "output" -> new pdagc.ir.Op.Output();
                case "layernorm" -> new pdagc.ir.Op.Norm(pdagc.ir.NormType.LAYERNORM, 64);
                case "linear" -> new pdagc.ir.Op.Linear(64, 64, 0);
                case "router" -> new pdagc.ir.Op.Router(2, 1, 64);
                case "dispatch" -> new pdagc.ir.Op.Dispatch(2, 1);
                case "all_reduce" -> new pdagc.ir.Op.Collective(pdagc.ir.CollectiveKind.ALL_REDUCE, List.of("tp"), -1, -1);
                case "all_to_all" -> new pdagc.ir.Op.Collective(pdagc.ir.CollectiveKind.ALL_TO_ALL, List.of("ep"), 0, 1);
                default -> throw new IllegalArgumentException("no sample op " + name);
            };
        }

        void edge(int from, int to, EdgeKind kind) {
            edges.add(new DagEdge(from, to, kind));
        }

        PlanDag plan(String deployment, List<PlanDag.Role> roles) {
            List<GpuInfo> gpus = new ArrayList<>();
            for (int r = 0; r < mesh.size(); r++) {
                List<Integer> coords = new ArrayList<>();
                for (int c : mesh.coords(r)) coords.add(c);
                gpus.add(new GpuInfo(r, coords, r / 2));
            }
            return new PlanDag.Listed(deployment, "tiny.pdag", mesh, 2, DType.BF16, gpus, nodes, edges, roles);
        }
    }
}
