package pdagc.front;

import java.util.List;
import pdagc.diag.Diagnostic;
import pdagc.diag.Diags;
import pdagc.diag.Diagnostics;
import pdagc.mesh.Mesh;
import pdagc.mesh.MeshAxes;
import pdagc.sem.Deployment;
import pdagc.mesh.Mesh;
import pdagc.mesh.Pipeline;
import pdagc.sem.ModelSpec;
import pdagc.sem.StrategySpec;
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
    /** Whether the workload is the decode step of a serving workload (its diagnostics say so). */
    private final boolean servingDecode;

    StrategyCheck(Deployment d, Diagnostics diagnostics, boolean servingDecode) {
        this.d = d;
        this.diagnostics = diagnostics;
        this.mesh = d.strategy().mesh();
        this.servingDecode = servingDecode;
    }

    private static final String SERVING_DECODE = "a serving workload runs decode steps after its prefill, one token per sequence";

    void run() {
        int gpus = d.cluster().count();
        if (mesh.size() != gpus) {
            diagnostics.add(Diags.meshSizeMismatch(d.strategy().meshSpan(), product(), mesh.size(),
                    d.cluster().spans().getOrDefault("count", d.cluster().span()), gpus));
        }
        if (gpus > d.cluster().perNode() && gpus % d.cluster().perNode() != 0) {
            diagnostics.add(Diags.nodesNotFilled(d.cluster().spans().getOrDefault("count", d.cluster().span()), gpus, d.cluster().perNode()));
        }
        if (mesh.has(MeshAxes.SP)) {
            diagnostics.add(Diags.spAsMeshAxis(d.strategy().axisSpan(MeshAxes.SP)));
        }
        for (String axis : List.of(MeshAxes.ETP, MeshAxes.EDP)) {
            if (mesh.has(axis)) {
                diagnostics.add(Diags.expertAxisInMesh(d.strategy().axisSpan(axis), axis));
            }
        }
        experts();
        sequence();
        pipeline();
        training();
        ModelSpec m = d.model();
        StrategySpec st = d.strategy();
        divides(MeshAxes.TP, "tensor-parallel", st.size(MeshAxes.TP), "heads", "attention heads");
        divides(MeshAxes.TP, "tensor-parallel", st.size(MeshAxes.TP), "ffn", "FFN width");
        divides(MeshAxes.TP, "tensor-parallel", st.size(MeshAxes.TP), "vocab", "vocabulary entries");
        if (m.param("shared_ffn") > 0) divides(MeshAxes.TP, "tensor-parallel", st.size(MeshAxes.TP), "shared_ffn", "shared-expert FFN width");
        if (m.isMoe()) {
            divides(st.expertMesh() != null ? MeshAxes.ETP : MeshAxes.withoutExpertMesh(MeshAxes.ETP), "expert-tensor-parallel", st.size(MeshAxes.ETP), "expert_ffn", "expert FFN width");
            divides(MeshAxes.EP, "expert-parallel", st.size(MeshAxes.EP), "experts", "experts");
        } else if (st.size(MeshAxes.EP) > 1) {
            diagnostics.add(Diags.noExpertsToSplit(d.strategy().axisSpan(MeshAxes.EP), m.name(), m.span(), st.size(MeshAxes.EP)));
        }
        int batchWays = mesh.size(MeshAxes.BATCH) * d.strategy().pipeline().microBatches();
        // At a request rate the driver picks batches that the split divides.
        boolean rated = d.workload().atRate();
        if (!rated && d.workload().batch() % batchWays != 0) {
            Span at = batchSpan();
            diagnostics.add(Diags.batchNotDivided(at, batchWays, d.workload().batch(), d.workload().spans().getOrDefault("batch", d.workload().span()),
                    presentBatchAxes(), d.strategy().pipeline().microBatches()));
        }
        crossNode(MeshAxes.TP, "tensor-parallel");
    }

    /**
     * A strategy's training options apply to a training workload; ZeRO shards model states over
     * the data-parallel ranks (dp, cp, and ep where the mesh names it), so it needs some.
     * (Interleaving's micro-batches in groups of pp are checked with the pipeline's other rules.)
     */
    private void training() {
        StrategySpec s = d.strategy();
        pdagc.sem.Training t = s.training();
        boolean train = d.workload().phase() == pdagc.sem.Phase.TRAIN;
        if (!train) {
            for (String property : List.of("zero", "recompute", "overlap_grad_reduce")) {
                if (s.spans().containsKey(property)) {
                    diagnostics.add(Diags.trainingOptionIgnored(s.spanOf(property), property, d.workload().name(),
                            d.workload().isServing() ? "serving steps" : d.workload().phase().keyword() + " steps"));
                }
            }
            return;
        }
        // The ranks that hold other tokens and so reduce the replicated weights' gradients: dp, cp, and
        // ep where the strategy's mesh names it (its dense parts then split the batch over it).
        if (t.zero() > 0 && mesh.size(MeshAxes.DP) * mesh.size(MeshAxes.CP) * mesh.size(MeshAxes.EP) == 1) {
            diagnostics.add(Diags.zeroWithoutDataParallel(s.spanOf("zero"), t.zero(), s.name()));
        }
        // The experts' data-parallel ranks (edp) reduce their gradients too.
        long expertData = s.expertMesh() == null ? 1 : s.expertMesh().size(MeshAxes.EDP);
        if (t.overlapGradReduce() && mesh.size(MeshAxes.DP) * mesh.size(MeshAxes.CP) * mesh.size(MeshAxes.EP) * expertData == 1) {
            diagnostics.add(Diags.overlapWithoutDataParallel(s.spanOf("overlap_grad_reduce"), s.name()));
        }
    }

    /** An expert mesh folds one pipeline stage's GPUs; its boundaries must nest with the mesh's. */
    private void experts() {
        Mesh em = d.strategy().expertMesh();
        if (em == null) return;
        StrategySpec s = d.strategy();
        Span at = s.spanOf("expert_mesh");
        if (mesh.has(MeshAxes.EP)) {
            diagnostics.add(Diags.epInBothMeshes(s.axisSpan(MeshAxes.EP)));
            return;
        }
        int stage = mesh.size() / Math.max(1, mesh.size(MeshAxes.PP));
        if (em.size() != stage) {
            diagnostics.add(Diags.expertMeshSize(at, em.size(), stage, s.meshSpan()));
        } else if (pdagc.mesh.Folding.refine(mesh, em).isEmpty()) {
            diagnostics.add(Diags.expertMeshNotNested(at, em.size(), stage));
        }
    }

    /** Context parallelism splits the prompt; sequence parallelism splits it between tensor-parallel regions. */
    private void sequence() {
        StrategySpec s = d.strategy();
        boolean decode = d.workload().phase() == pdagc.sem.Phase.DECODE;
        int cp = mesh.size(MeshAxes.CP);
        if (cp > 1 && decode) {
            Diagnostic.Builder diag = Diags.contextParallelInDecode(s.axisSpan(MeshAxes.CP));
            diagnostics.add(servingDecode ? diag.note(SERVING_DECODE) : diag);
        } else if (cp > 1 && d.workload().seq() % cp != 0) {
            diagnostics.add(Diags.contextNotDividingSequence(s.axisSpan(MeshAxes.CP), cp, d.workload().seq(),
                    d.workload().spans().getOrDefault("seq", d.workload().span())));
        }
        int tp = mesh.size(MeshAxes.TP);
        if (s.sequenceParallel() && tp > 1) {
            long tokens = d.workload().stepTokens() / Math.max(1, cp);
            if (decode || tokens % tp != 0) {
                Diagnostic.Builder diag = Diags.sequenceParallelNotDividing(s.spanOf("sequence_parallel"), tp, tokens, cp > 1, decode);
                diagnostics.add(servingDecode ? diag.note(SERVING_DECODE) : diag);
            } else if (cp > 1 && mesh.index(MeshAxes.TP) < mesh.index(MeshAxes.CP)) {
                // Shardings list a dimension's axes in mesh order: the sequence is split tp-major,
                // so a cp rank's tokens are not the union of its tp ranks' and every region
                // boundary regathers the sequence over cp.
                diagnostics.add(Diags.sequenceSplitTpThenCp(s.spanOf("sequence_parallel"), s.axisSpan(MeshAxes.CP)));
            }
        }
    }

    private void pipeline() {
        Pipeline p = d.strategy().pipeline();
        StrategySpec s = d.strategy();
        long layers = d.model().layers();
        if (p.virtualStages() > 1 && p.schedule() != Pipeline.Schedule.INTERLEAVED) {
            diagnostics.add(Diags.virtualStagesWithoutInterleaving(s.spanOf("virtual_stages")));
        }
        if (p.schedule() == Pipeline.Schedule.INTERLEAVED && (p.virtualStages() < 2 || p.stages() < 2)) {
            diagnostics.add(Diags.nothingToInterleave(s.spanOf("schedule")));
        }
        if (p.schedule() == Pipeline.Schedule.INTERLEAVED && p.microBatches() % Math.max(1, p.stages()) != 0) {
            diagnostics.add(Diags.microBatchesNotInGroups(s.spanOf("micro_batches"), p.stages(), p.microBatches()));
        }
        if (p.schedule() == Pipeline.Schedule.ONE_F_ONE_B && p.stages() > 1 && p.microBatches() < p.stages()) {
            diagnostics.add(Diags.pipelineNeverFills(s.spanOf("micro_batches"), p.microBatches(), p.stages(), s.axisSpan(MeshAxes.PP), p.bubbleFraction()));
        }
        if (s.stageLayers() != null) {
            List<Long> counts = s.stageLayers();
            long sum = counts.stream().mapToLong(Long::longValue).sum();
            if (counts.size() != p.chunks() || sum != layers || counts.stream().anyMatch(c -> c < 1)) {
                diagnostics.add(Diags.stageLayersMismatch(s.spanOf("stage_layers"), d.model().spanOf("layers"), p.chunks(), layers, counts));
            }
        } else if (layers < p.chunks()) {
            diagnostics.add(Diags.moreChunksThanLayers(s.axisSpan(MeshAxes.PP), d.model().spanOf("layers"), p.chunks(), layers));
        }
    }

    /**
     * Reports a parameter that the axis does not split evenly. A parameter the model does not
     * declare has a default taken from another one (kv_heads from heads, expert_ffn from ffn), which
     * is checked by its own name; reporting the default again would say the same thing twice.
     */
    private void divides(String axis, String what, int size, String param, String noun) {
        if (!d.model().spans().containsKey(param)) return;
        long value = d.model().param(param);
        if (size > 1 && value % size != 0) {
            diagnostics.add(Diags.axisNotDividingParameter(d.strategy().axisSpan(axis), what, size, value, noun, param, d.model().spanOf(param).location()));
        }
    }

    private void unsupported(String axis, String what) {
        diagnostics.add(Diags.axisNotImplemented(d.strategy().axisSpan(axis), what));
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
            diagnostics.add(Diags.groupCrossesNodes(d.strategy().axisSpan(axis), axis, what, size, nodes, perNode));
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
