package pdagc.search;

import pdagc.analysis.CollectiveCost;
import pdagc.mesh.MeshAxes;
import pdagc.mesh.Pipeline;
import pdagc.sem.ClusterSpec;
import pdagc.sem.Phase;
import pdagc.sem.SearchSpec;
import pdagc.sem.WorkloadSpec;

/**
 * A candidate's figures in closed form from its stage's compiled layer programs ({@link Profile}):
 * a stage runs ceil(layers / pp) layers (the busiest stage of pdagc's balanced split) and the
 * embedding and head; pipelines fill and drain as their schedule says; the data-parallel
 * gradients are reduced once per step; memory adds the stage's weights, model states (sharded by
 * ZeRO over dp x cp x ep) and the activations in flight. docs/commands.md (Strategy search) gives
 * every formula; the top candidates are then compiled in full to confirm them.
 */
final class Estimate {
    private final SearchSpec s;
    private final Candidate c;
    private String problem;
    private Search.Figures figures;

    Estimate(SearchSpec s, Candidate c, Profile.Cache cache) {
        this.s = s;
        this.c = c;
        WorkloadSpec w = c.workload(s);
        if (w.phase() == Phase.TRAIN) training(cache.get(Search.key(s, c, w, c.microBatch())));
        else if (w.isServing()) serving(cache);
        else step(cache.get(Search.key(s, c, w, c.microBatch())));
    }

    /** The layer programs a candidate's estimate reads. */
    static java.util.List<Profile.Key> keys(SearchSpec s, Candidate c) {
        WorkloadSpec w = c.workload(s);
        if (w.isServing()) {
            java.util.List<Profile.Key> out = new java.util.ArrayList<>();
            out.add(Search.key(s, c, w.prefillStep(), c.microBatch()));
            if (w.serving().decodeSteps() > 0) out.add(Search.key(s, c, w.decodeStep(meanContext(w.serving())), c.microBatch()));
            return out;
        }
        return java.util.List.of(Search.key(s, c, w, c.microBatch()));
    }

    /** The mean context of the decode steps (contexts input + 1 to input + output - 1): input + output / 2, rounded. */
    static long meanContext(WorkloadSpec.Serving lengths) {
        return lengths.input() + Math.round(lengths.output() / 2.0);
    }

    String problem() {
        return problem;
    }

    Search.Figures figures() {
        return figures;
    }

    private int pp() {
        return c.size(MeshAxes.PP);
    }

    private long stageLayers() {
        long first = s.model().isMoe() ? s.model().firstDense() : 0;
        long layers = s.model().layers() - first;
        return (layers + pp() - 1) / pp();
    }

    /** One pipeline hop of a micro-batch's activations: a send and its recv between neighbouring stages. */
    private double hop(long seq) {
        if (pp() <= 1) return 0;
        int tp = c.size(MeshAxes.TP), cp = c.size(MeshAxes.CP);
        long tokens = (long) c.microBatch() * Math.max(1, seq / cp) / (c.sp() ? tp : 1);
        double bytes = (double) tokens * s.model().param("hidden") * s.workload().dtype().bytes();
        ClusterSpec cl = s.cluster();
        boolean network = Space.nodesSpanned(c.mesh(), MeshAxes.PP, cl.perNode()) > 1;
        CollectiveCost.Link link = network ? CollectiveCost.Link.NETWORK : CollectiveCost.nodeLink(cl);
        return (network ? cl.networkLatency() : cl.nvlinkLatency()) + bytes / CollectiveCost.bandwidth(link, cl);
    }

    private void training(Profile p) {
        if (p.problem() != null) {
            problem = p.problem();
            return;
        }
        int pp = pp(), v = c.virtualStages(), m = c.microBatches();
        long L = stageLayers();
        double perMicroBatch = L * p.layerSeconds() + p.baseSeconds() + 2.0 * v * hop(s.workload().seq());
        double pipeline = c.schedule() == Pipeline.Schedule.INTERLEAVED ? (m + (pp - 1) / (double) v) * perMicroBatch
                : (m + pp - 1) * perMicroBatch;
        int zeroWays = c.size(MeshAxes.DP) * c.size(MeshAxes.CP) * c.size(MeshAxes.EP);
        double optimizer = (L * p.layerStepSeconds() + p.baseStepSeconds()) / (c.zero() >= 1 ? zeroWays : 1);
        long weights = L * p.layerWeightBytes() + p.baseWeightBytes();
        double reduce = s.model().isMoe() ? p.stepCollectiveSeconds() : gradientReduction(weights);
        double step = pipeline + optimizer + reduce;
        int dtype = s.workload().dtype().bytes();
        long elements = weights / dtype;
        long grads = c.zero() >= 2 ? weights / zeroWays : weights;
        long states = c.zero() >= 1 ? elements * 12 / zeroWays : elements * 12;
        double inFlight = switch (c.schedule()) {
            case GPIPE -> m;
            case ONE_F_ONE_B -> Math.min(m, pp);
            case INTERLEAVED -> Math.min(m, pp) * (1 + (pp - 1) / (double) (pp * v));
        };
        long activations = (long) (inFlight * L * p.layerStoredBytes()) + Math.max(0, p.activationBytes() - p.layerStoredBytes());
        long memory = weights + grads + states + activations + p.workspaceBytes();
        double tokens = (double) c.batch() * s.workload().seq();
        figures = new Search.Figures(step, Double.NaN, Double.NaN, tokens / step / s.cluster().count(), memory, weights, activations, grads + states,
                pp > 1 ? pipelineBubble(pp, v, m) : 0);
    }

    private static double pipelineBubble(int pp, int v, int m) {
        return new Pipeline(pp, v, m, v > 1 ? Pipeline.Schedule.INTERLEAVED : Pipeline.Schedule.GPIPE).bubbleFraction();
    }

    /** The gradients' all-reduce (ZeRO: reduce-scatter and all-gather, the same bytes) over dp x cp, ring formula. */
    private double gradientReduction(long bytes) {
        int n = c.size(MeshAxes.DP) * c.size(MeshAxes.CP);
        if (n <= 1) return 0;
        ClusterSpec cl = s.cluster();
        boolean network = Space.nodesSpanned(c.mesh(), MeshAxes.DP, cl.perNode()) > 1 || Space.nodesSpanned(c.mesh(), MeshAxes.CP, cl.perNode()) > 1;
        CollectiveCost.Link link = network ? CollectiveCost.Link.NETWORK : CollectiveCost.nodeLink(cl);
        double traffic = 2.0 * (n - 1) / n * bytes;
        return 2 * (network ? cl.networkLatency() : cl.nvlinkLatency()) + traffic / CollectiveCost.bandwidth(link, cl);
    }

    private void serving(Profile.Cache cache) {
        WorkloadSpec w = c.workload(s);
        WorkloadSpec.Serving lengths = w.serving();
        Profile pre = cache.get(Search.key(s, c, w.prefillStep(), c.microBatch()));
        if (pre.problem() != null) {
            problem = pre.problem();
            return;
        }
        int pp = pp(), m = c.microBatches();
        long L = stageLayers();
        int v = c.virtualStages();
        double stagePre = L * pre.layerSeconds() + pre.baseSeconds() + v * hop(lengths.input());
        double ttft = pp == 1 ? m * stagePre : (m + (pp - 1) / (double) v) * stagePre;
        double tpot = Double.NaN;
        long kv = 0;
        long activations = pre.activationBytes();
        long workspace = pre.workspaceBytes();
        if (lengths.decodeSteps() > 0) {
            long mean = meanContext(lengths);
            Profile dec = cache.get(Search.key(s, c, w.decodeStep(mean), c.microBatch()));
            if (dec.problem() != null) {
                problem = dec.problem();
                return;
            }
            double stageDec = L * dec.layerSeconds() + dec.baseSeconds();
            double loop = pp * stageDec + pp * v * hop(1);
            tpot = pp == 1 ? stageDec * m : Math.max(loop, m * stageDec);
            // The cache of every micro-batch's sequences over the stage's layers, at the last context.
            kv = (long) ((double) dec.kvBytes() * L * m * lengths.lastContext() / mean);
            activations = Math.max(activations, dec.activationBytes());
            workspace = Math.max(workspace, dec.workspaceBytes());
        }
        long weights = L * pre.layerWeightBytes() + pre.baseWeightBytes();
        double endToEnd = Double.isNaN(tpot) ? ttft : ttft + lengths.decodeSteps() * tpot;
        double perGpu = w.batch() * (double) lengths.output() / endToEnd / s.cluster().count();
        figures = new Search.Figures(endToEnd, ttft, tpot, perGpu, weights + kv + activations + workspace, weights, activations, 0,
                pp > 1 ? pipelineBubble(pp, c.virtualStages(), m) : 0);
    }

    /** A single prefill or decode step (not a serving workload). */
    private void step(Profile p) {
        if (p.problem() != null) {
            problem = p.problem();
            return;
        }
        int pp = pp(), m = c.microBatches();
        long L = stageLayers();
        WorkloadSpec w = c.workload(s);
        double stage = L * p.layerSeconds() + p.baseSeconds() + hop(w.stepTokens());
        double seconds = pp == 1 ? m * stage : (m + pp - 1) * stage;
        long weights = L * p.layerWeightBytes() + p.baseWeightBytes();
        long kv = w.phase() == Phase.DECODE ? p.kvBytes() * L * m : 0;
        double tokens = (double) w.batch() * w.stepTokens();
        boolean prefill = w.phase() == Phase.PREFILL;
        figures = new Search.Figures(seconds, prefill ? seconds : Double.NaN, prefill ? Double.NaN : seconds, tokens / seconds / s.cluster().count(),
                weights + kv + p.activationBytes() + p.workspaceBytes(), weights, p.activationBytes(), 0, pp > 1 ? pipelineBubble(pp, c.virtualStages(), m) : 0);
    }
}
