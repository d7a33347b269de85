package pdagc.front;

import java.util.List;
import pdagc.diag.Code;
import pdagc.diag.Diagnostic;
import pdagc.diag.Diagnostics;
import pdagc.mesh.Mesh;
import pdagc.sem.Deployment;
import pdagc.sem.ModelSpec;
import pdagc.source.Span;

/**
 * Legality of a strategy for its model, cluster and workload: the mesh fills the cluster, every
 * split divides what it splits, and groups that cross nodes are flagged. Each problem points at
 * the mesh axis responsible, with a note at the number it conflicts with.
 */
final class StrategyCheck {
    private final Deployment d;
    private final Diagnostics diagnostics;
    private final Mesh mesh;

    StrategyCheck(Deployment d, Diagnostics diagnostics) {
        this.d = d;
        this.diagnostics = diagnostics;
        this.mesh = d.strategy().mesh();
    }

    void run() {
        int gpus = d.cluster().count();
        if (mesh.size() != gpus) {
            diagnostics.add(Diagnostic.of(Code.E0302, d.strategy().meshSpan(), mesh.size(), gpus)
                    .label(product() + " = " + mesh.size())
                    .secondary(d.cluster().spans().getOrDefault("count", d.cluster().span()), "the cluster has " + gpus + " GPUs")
                    .help("make the axis sizes multiply to " + gpus));
        }
        if (gpus > d.cluster().perNode() && gpus % d.cluster().perNode() != 0) {
            diagnostics.add(Diagnostic.of(Code.E0307, d.cluster().spans().getOrDefault("count", d.cluster().span()), gpus, d.cluster().perNode())
                    .label("not a multiple of per_node"));
        }
        for (String axis : List.of("sp", "cp", "etp", "edp")) {
            if (mesh.size(axis) > 1) unsupported(axis, "the `" + axis + "` axis");
        }
        if (mesh.size("pp") > 1) unsupported("pp", "pipeline parallelism (pp > 1)");
        ModelSpec m = d.model();
        int tp = mesh.size("tp");
        divides("tp", "tensor-parallel", tp, "heads", "attention heads");
        divides("tp", "tensor-parallel", tp, "ffn", "FFN width");
        divides("tp", "tensor-parallel", tp, "vocab", "vocabulary entries");
        if (m.param("shared_ffn") > 0) divides("tp", "tensor-parallel", tp, "shared_ffn", "shared-expert FFN width");
        if (m.isMoe()) {
            divides("tp", "expert-tensor-parallel", tp, "expert_ffn", "expert FFN width");
            divides("ep", "expert-parallel", mesh.size("ep"), "experts", "experts");
        } else if (mesh.size("ep") > 1) {
            diagnostics.add(Diagnostic.of(Code.E0303, d.strategy().axisSpan("ep"), "expert-parallel", mesh.size("ep"), 0, "experts")
                    .label("the model is dense").secondary(m.span(), "model declared without `experts`"));
        }
        int batchWays = mesh.size(MeshAxes.BATCH);
        if (d.workload().batch() % batchWays != 0) {
            Span at = batchSpan();
            diagnostics.add(Diagnostic.of(Code.E0303, at, "data-parallel", batchWays, d.workload().batch(), "sequences of the batch")
                    .label("splits the batch " + batchWays + " ways")
                    .secondary(d.workload().spans().getOrDefault("batch", d.workload().span()), "batch declared here")
                    .note("the batch is split over " + String.join(" x ", presentBatchAxes())));
        }
        crossNode("tp", "tensor-parallel");
    }

    private void divides(String axis, String what, int size, String param, String noun) {
        long value = d.model().param(param);
        if (size > 1 && value % size != 0) {
            diagnostics.add(Diagnostic.of(Code.E0303, d.strategy().axisSpan(axis), what, size, value, noun)
                    .label(value + " " + noun + " cannot be split " + size + " ways")
                    .note(param + " is declared at " + d.model().spanOf(param).location()));
        }
    }

    private void unsupported(String axis, String what) {
        diagnostics.add(Diagnostic.of(Code.E0306, d.strategy().axisSpan(axis), what)
                .label("not implemented in this version").help("give this axis size 1 or leave it out"));
    }

    private void crossNode(String axis, String what) {
        int size = mesh.size(axis);
        int i = mesh.index(axis);
        if (size <= 1 || i < 0) return;
        int stride = 1;
        for (int j = mesh.axes().size() - 1; j > i; j--) stride *= mesh.axes().get(j).size();
        int span = (size - 1) * stride + 1;
        int perNode = d.cluster().perNode();
        int nodes = (span + perNode - 1) / perNode;
        if (nodes > 1) {
            diagnostics.add(Diagnostic.of(Code.W0309, d.strategy().axisSpan(axis), what, size, nodes, perNode)
                    .label("its collectives cross the network")
                    .help("put `" + axis + "` last in the mesh and keep it within " + perNode + " GPUs"));
        }
    }

    private List<String> presentBatchAxes() {
        return MeshAxes.BATCH.stream().filter(a -> mesh.size(a) > 1).map(a -> a + " " + mesh.size(a)).toList();
    }

    private Span batchSpan() {
        for (String a : MeshAxes.BATCH) if (mesh.size(a) > 1) return d.strategy().axisSpan(a);
        return d.strategy().meshSpan();
    }

    private String product() {
        return String.join(" x ", mesh.axes().stream().map(a -> String.valueOf(a.size())).toList());
    }
}
