package pdagc.search;

import pdagc.analysis.CollectiveCost;
import pdagc.analysis.ServingSimulation;
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
    private Search.Reject beyondRate;
    private Search.Figures figures;

    /**
     * A training candidate's estimate from another micro-batch size's layer program, its stored
     * activations scaled by {@code sequences} (the candidate's micro-batch over the program's).
     */
    Estimate(SearchSpec s, Candidate c, Profile p, int sequences) {
        this.s = s;
        this.c = c;
        training(new Profile(p.layerSeconds(), p.layerStepSeconds(), p.baseSeconds(), p.baseStepSeconds(), p.stepCollectiveSeconds(),
                p.layerWeightBytes(), p.baseWeightBytes(), p.layerStoredBytes() * sequences, p.layerStoredBytes() * sequences, 0, 0, p.layerCommSeconds(),
                p.layerWeights(), p.layerExpertWeights(), p.baseWeights(), p.layerRereads(), p.layerExpertRereads(), p.baseRereads(), p.layerStepOps(), p.layerExpertStepOps(), p.baseStepOps(), p.layerKept(), p.baseKept(), p.layerStepCollectiveSeconds(), p.embedSeconds(),
                p.embedWeightBytes(), null));
    }

    Estimate(SearchSpec s, Candidate c, Profile.Cache cache) {
        this.s = s;
        this.c = c;
        WorkloadSpec w = c.workload(s);
        if (w.phase() == Phase.TRAIN) training(cache.get(Search.key(s, c, w, c.microBatch())));
        else if (w.atRate()) atRate(cache);
        else if (w.isServing()) serving(cache);
        else step(cache.get(Search.key(s, c, w, c.microBatch())));
    }

    /** The layer programs a candidate's estimate reads. */
    static java.util.List<Profile.Key> keys(SearchSpec s, Candidate c) {
        WorkloadSpec w = c.workload(s);
        if (w.atRate()) {
            // The prefill of one request per split and the first decode step the rate's fixed point tries (one per split);
            // the larger decode batches it goes on to are compiled when the estimate asks for them.
            java.util.List<Profile.Key> out = new java.util.ArrayList<>();
            out.add(Search.key(s, c, w.prefillStep(), 1));
            if (w.serving().decodeSteps() > 0) out.add(Search.key(s, c, w.decodeStep(w.serving().meanContext(), c.batch()), 1));
            return out;
        }
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

    /** Why the candidate cannot keep up with the workload's request rate (E0508, estimated); null where it can, or without a rate. */
    Search.Reject beyondRate() {
        return beyondRate;
    }

    Search.Figures figures() {
        return figures;
    }

    private int pp() {
        return c.size(MeshAxes.PP);
    }

    private long stageLayers() {
        return inFlight()[2];
    }

    /** Per (layers, pp, v, m, schedule): layers in flight on the first stage, on the last, and the first stage's layers. */
    private static final java.util.concurrent.ConcurrentHashMap<String, long[]> IN_FLIGHT = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * The layers whose activations a stage holds at its peak: its schedule's units walked in order
     * ({@link Pipeline#trainingOrder}), a forward unit adding its chunk's layers and a backward one
     * removing them, over pdagc's balanced split (the first chunks one layer more). A serving or
     * inference step runs forwards only: its peak is one chunk.
     */
    private long[] inFlight() {
        long first = s.model().isMoe() ? s.model().firstDense() : 0;
        long layers = s.model().layers() - first;
        int pp = pp(), v = c.virtualStages(), m = c.microBatches();
        String key = layers + ":" + pp + ":" + v + ":" + m + ":" + c.schedule();
        return IN_FLIGHT.computeIfAbsent(key, k -> {
            int chunks = pp * v;
            long base = layers / chunks, extra = layers % chunks;
            Pipeline p = new Pipeline(pp, v, m, c.schedule());
            long[] out = new long[3];
            for (int stage : new int[] {0, pp - 1}) {
                long held = 0, peak = 0;
                for (Pipeline.Unit u : p.trainingOrder(stage)) {
                    long l = base + (u.chunk() < extra ? 1 : 0);
                    held += u.backward() ? -l : l;
                    peak = Math.max(peak, held);
                }
                out[stage == 0 ? 0 : 1] = peak;
            }
            long own = 0;
            for (int j = 0; j < v; j++) own += base + (j * pp < extra ? 1 : 0);
            out[2] = Math.max(own, (layers + pp - 1) / pp);
            return out;
        });
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

    /**
     * A pipeline of {@code m} micro-batches over stages that take {@code first}, {@code middle}
     * and {@code last} seconds per micro-batch: every stage's first micro-batch in turn, then the
     * other m - 1 at the pace of the slowest stage; interleaving divides the fill and drain by v.
     */
    private double pipeline(int m, double first, double middle, double last) {
        int pp = pp(), v = c.virtualStages();
        if (pp == 1) return m * (first + last - middle);
        double slowest = Math.max(first, Math.max(middle, last));
        double all = first + last + (pp - 2) * middle;
        return c.schedule() == Pipeline.Schedule.INTERLEAVED ? m * slowest + (all - slowest) / v : (m - 1) * slowest + all;
    }

    private void training(Profile p) {
        if (p.problem() != null) {
            problem = p.problem();
            return;
        }
        int pp = pp(), v = c.virtualStages(), m = c.microBatches();
        long L = stageLayers();
        double head = p.baseSeconds() - p.embedSeconds();
        int zeroWays = denseWays(), expertWays = expertWays();
        // ZeRO-3: every weight is gathered from its shards once per micro-batch for the forward
        // pass and again for the backward pass where its gradients' rules or recomputation read it
        // (Profile#layerRereads), each gather read from the shard's own node (a kernel's overhead).
        double layerGathers = 0, baseGathers = 0;
        if (c.zero() >= 3) {
            layerGathers = gathers(p.layerWeights(), p.layerExpertWeights(), zeroWays, expertWays)
                    + gathers(p.layerRereads(), p.layerExpertRereads(), zeroWays, expertWays) + p.layerWeights().size() * kernelOverhead(p);
            baseGathers = gathers(p.baseWeights(), java.util.List.of(), zeroWays, 1) + gathers(p.baseRereads(), java.util.List.of(), zeroWays, 1)
                    + p.baseWeights().size() * kernelOverhead(p);
        }
        double layers = L * (p.layerSeconds() + layerGathers) + 2.0 * v * hop(s.workload().seq());
        double pipeline = pipeline(m, layers + p.embedSeconds() + baseGathers, layers, layers + head + baseGathers);
        // The share of the weights' elements a GPU keeps under ZeRO; a model with experts ran the
        // candidate's ZeRO in its layer program (its optimizer steps on their shards already).
        boolean moe = s.model().isMoe();
        double layerKept = moe ? p.layerKept() : c.zero() >= 1 ? kept(p.layerWeights(), p.layerExpertWeights(), zeroWays, expertWays) : 1;
        double baseKept = moe ? p.baseKept() : c.zero() >= 1 ? kept(p.baseWeights(), java.util.List.of(), zeroWays, 1) : 1;
        double optimizer = moe ? L * (Profile.sharded(p.layerStepOps(), 1) + Profile.sharded(p.layerExpertStepOps(), 1)) + Profile.sharded(p.baseStepOps(), 1)
                : L * Profile.sharded(p.layerStepOps(), layerKept) + Profile.sharded(p.baseStepOps(), baseKept);
        // A model with experts: the layer program's own per-step collectives (all-reduces), its
        // layer's for each of the stage's layers; under
        // ZeRO-3 only their reduce-scatter half stays (a ring all-reduce is a reduce-scatter and an
        // all-gather of the same bytes), the updated weights stay on their shards.
        double moeReduce = (L - 1) * p.layerStepCollectiveSeconds() + p.stepCollectiveSeconds();
        if (c.zero() >= 3) moeReduce /= 2;
        double reduce = s.model().isMoe() ? moeReduce : L * gradientReduction(p.layerWeights()) + gradientReduction(p.baseWeights());
        double step = pipeline + optimizer + reduce;
        // Memory: the first stage (the embedding, the most micro-batches in flight) and the last (the
        // head and its logits, one micro-batch in flight under 1F1B), the larger of the two.
        long[] held = inFlight();
        long baseActivations = Math.max(0, p.activationBytes() - p.layerStoredBytes());
        long headWeights = p.baseWeightBytes() - p.embedWeightBytes();
        long firstWeights = L * p.layerWeightBytes() + (pp == 1 ? p.baseWeightBytes() : p.embedWeightBytes());
        long lastWeights = L * p.layerWeightBytes() + headWeights;
        // ZeRO-3: a gathered weight lives from its gather to its last reader, one layer's at a time.
        long gathered = c.zero() >= 3 ? p.layerWeightBytes() : 0;
        long firstActivations = held[0] * p.layerStoredBytes() + (pp == 1 ? baseActivations : 0) + gathered;
        long lastActivations = held[1] * p.layerStoredBytes() + baseActivations + gathered;
        long first = stageMemory(firstWeights, layerKept) + firstActivations;
        long last = pp == 1 ? first : stageMemory(lastWeights, L * p.layerWeightBytes() >= headWeights ? layerKept : baseKept) + lastActivations;
        boolean firstLarger = first >= last;
        long weights = firstLarger ? firstWeights : lastWeights;
        long activations = firstLarger ? firstActivations : lastActivations;
        long memory = Math.max(first, last) + p.workspaceBytes();
        double tokens = (double) c.batch() * s.workload().seq();
        figures = new Search.Figures(step, Double.NaN, Double.NaN, tokens / step / s.cluster().count(), memory, weights, activations,
                stageMemory(weights, layerKept) - weights, pp > 1 ? pipelineBubble(pp, v, m) : 0);
    }

    /** The ranks over which ZeRO shards the dense weights' states: dp x cp, and ep where the mesh names it. */
    private int denseWays() {
        return c.size(MeshAxes.DP) * c.size(MeshAxes.CP) * c.size(MeshAxes.EP);
    }

    /** The ranks over which ZeRO shards the experts' states: the expert mesh's edp, else dp x cp (the ranks that hold other tokens of the same experts). */
    private int expertWays() {
        return c.expertSize(MeshAxes.EDP);
    }

    /**
     * A stage's weights and model states: 16-bit weights (sharded by ZeRO 3), 16-bit gradients
     * (ZeRO 2) and 12 bytes of optimizer state per element (ZeRO 1), each sharded part {@code kept}
     * of its whole ({@link #kept}).
     */
    private long stageMemory(long weights, double kept) {
        int dtype = s.workload().dtype().bytes();
        long elements = weights / dtype;
        long resting = c.zero() >= 3 ? (long) (weights * kept) : weights;
        long grads = c.zero() >= 2 ? (long) (weights * kept) : weights;
        long states = c.zero() >= 1 ? (long) (elements * 12 * kept) : elements * 12;
        return resting + grads + states;
    }

    /**
     * The share of {@code weights}' elements a GPU keeps when ZeRO shards them: a weight divides
     * over its shards (1/n of it kept) only where one of its local dimensions divides by n
     * ({@code ShardingRules.optimizerShard}; W0319 otherwise), else it stays whole. The dense
     * weights shard over {@code n}, the experts' ({@code experts}, among {@code weights}) over
     * {@code nExperts}.
     */
    private static double kept(java.util.List<pdagc.ir.Shape> weights, java.util.List<pdagc.ir.Shape> experts, int n, int nExperts) {
        double all = 0, keep = 0;
        for (pdagc.ir.Shape w : weights) {
            all += w.elements();
            keep += w.elements() * keptShare(w, n);
        }
        for (pdagc.ir.Shape w : experts) keep += w.elements() * (keptShare(w, nExperts) - keptShare(w, n));
        return all == 0 ? 1 : keep / all;
    }

    private static double keptShare(pdagc.ir.Shape w, int n) {
        for (int d = 0; d < w.rank(); d++) if (w.dim(d) % n == 0) return 1.0 / n;
        return 1;
    }

    private static double pipelineBubble(int pp, int v, int m) {
        return new Pipeline(pp, v, m, v > 1 ? Pipeline.Schedule.INTERLEAVED : Pipeline.Schedule.GPIPE).bubbleFraction();
    }

    /**
     * The gradients' reduction over dp x cp, one collective per weight as the plan makes them
     * (ZeRO: a reduce-scatter and an all-gather, else an all-reduce), each costed by
     * {@link CollectiveCost} on the link the data-parallel groups take, as the compiler costs them.
     */
    private double gradientReduction(java.util.List<pdagc.ir.Shape> weights) {
        return collectives(weights, c.size(MeshAxes.DP) * c.size(MeshAxes.CP), dataNetwork(), true);
    }

    /** Whether the data-parallel groups (dp, cp) cross nodes. */
    private boolean dataNetwork() {
        int perNode = s.cluster().perNode();
        return Space.nodesSpanned(c.mesh(), MeshAxes.DP, perNode) > 1 || Space.nodesSpanned(c.mesh(), MeshAxes.CP, perNode) > 1
                || Space.nodesSpanned(c.mesh(), MeshAxes.EP, perNode) > 1;
    }

    /**
     * ZeRO-3's gathers of {@code weights} (each whole as its use reads it) from their shards over
     * the {@code n} ranks that shard them, the experts' ({@code experts}, among {@code weights})
     * over {@code nExperts}; a weight with no local dimension dividing by its shards rests whole
     * and is not gathered.
     */
    private double gathers(java.util.List<pdagc.ir.Shape> weights, java.util.List<pdagc.ir.Shape> experts, int n, int nExperts) {
        double t = 0;
        java.util.List<pdagc.ir.Shape> dense = new java.util.ArrayList<>(weights);
        for (pdagc.ir.Shape e : experts) dense.remove(e);
        t += collectives(dense, n, dataNetwork(), false);
        if (!experts.isEmpty()) {
            // The experts' data-parallel ranks: the expert mesh's outermost axis over a stage's GPUs.
            int stride = c.expertSize(MeshAxes.EP) * c.expertSize(MeshAxes.ETP);
            boolean network = c.expertMesh() == null ? dataNetwork() : (long) (nExperts - 1) * stride + 1 > s.cluster().perNode();
            t += collectives(experts, nExperts, network, false);
        }
        return t;
    }

    /** The overhead of one kernel, as the layer program's per-step ops carry it. */
    private static double kernelOverhead(Profile p) {
        double o = 0;
        for (int i = 1; i < p.layerStepOps().length; i += 2) o = Math.max(o, p.layerStepOps()[i]);
        return o;
    }

    /**
     * One collective per weight over a group of {@code n}: the gradients' reduction
     * ({@code reduction}: under ZeRO a reduce-scatter, and below stage 3 the updated weight's
     * all-gather; else, and for a weight that no local dimension lets ZeRO shard, an all-reduce)
     * or ZeRO-3's gather of the weight.
     */
    private double collectives(java.util.List<pdagc.ir.Shape> weights, int n, boolean network, boolean reduction) {
        if (n <= 1 || weights.isEmpty()) return 0;
        ClusterSpec cl = s.cluster();
        java.util.List<Integer> group = new java.util.ArrayList<>();
        java.util.List<pdagc.dag.GpuInfo> gpus = new java.util.ArrayList<>();
        for (int g = 0; g < n; g++) {
            group.add(g);
            gpus.add(new pdagc.dag.GpuInfo(g, java.util.List.of(g), network ? g : 0));
        }
        int dtype = s.workload().dtype().bytes();
        double t = 0;
        for (pdagc.ir.Shape w : weights) {
            if (!reduction) {
                if (keptShare(w, n) < 1) t += CollectiveCost.of(pdagc.ir.CollectiveKind.ALL_GATHER, w, w, group, gpus, cl, dtype).seconds();
            } else if (c.zero() >= 1 && keptShare(w, n) < 1) {
                t += CollectiveCost.of(pdagc.ir.CollectiveKind.REDUCE_SCATTER, w, w, group, gpus, cl, dtype).seconds();
                if (c.zero() < 3) t += CollectiveCost.of(pdagc.ir.CollectiveKind.ALL_GATHER, w, w, group, gpus, cl, dtype).seconds();
            } else {
                t += CollectiveCost.of(pdagc.ir.CollectiveKind.ALL_REDUCE, w, w, group, gpus, cl, dtype).seconds();
            }
        }
        return t;
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
        double head = pre.baseSeconds() - pre.embedSeconds();
        double layersPre = L * pre.layerSeconds() + v * hop(lengths.input());
        double ttft = pipeline(m, layersPre + pre.embedSeconds(), layersPre, layersPre + head);
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
            tpot = decodeSeconds(dec);
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

    /**
     * A decode step in the steady state: a micro-batch's loop through every stage, or m times the
     * slowest stage.
     */
    private double decodeSeconds(Profile dec) {
        int pp = pp(), m = c.microBatches(), v = c.virtualStages();
        double layersDec = stageLayers() * dec.layerSeconds();
        double slowest = layersDec + Math.max(dec.embedSeconds(), dec.baseSeconds() - dec.embedSeconds()) + (pp > 1 ? v * hop(1) : 0);
        double loop = pp * layersDec + dec.baseSeconds() + pp * v * hop(1);
        return pp == 1 ? (layersDec + dec.baseSeconds()) * m : Math.max(loop, m * slowest);
    }

    /**
     * Serving at a request rate, as the compiler serves it ({@code Compiler.atRate}, {@link
     * pdagc.analysis.Serving.Arrivals}): the prefill of one request per split of the batch takes
     * the share {@code rate x t_p / split} of the time; the requests in flight N are found from
     * decode steps at the requests' mean context, from one per split up, N growing to
     * {@code rate x output x T_d(N) / (1 - share)} until it repeats; then the run the compiler
     * simulates ({@link ServingSimulation}) over this estimate's prefills of 1, 2, 4, ... prompts and
     * decode steps of 1, 2, 4, ... requests a split: TTFT, TPOT and end to end its means (and their
     * 99th percentiles for the requirements), tokens per second the rate's. Prefills that would take
     * all of the time, requests in flight that outgrow the GPU or the workload's {@code max_batch},
     * or a batch that keeps growing reject the candidate, as E0508 rejects the deploy.
     */
    private void atRate(Profile.Cache cache) {
        WorkloadSpec w = c.workload(s);
        WorkloadSpec.Serving lengths = w.serving();
        long unit = c.batch();
        Profile pre = cache.get(Search.key(s, c, w.prefillStep(), 1));
        if (pre.problem() != null) {
            problem = pre.problem();
            return;
        }
        int pp = pp(), m = c.microBatches();
        long L = stageLayers();
        double head = pre.baseSeconds() - pre.embedSeconds();
        double layersPre = L * pre.layerSeconds() + c.virtualStages() * hop(lengths.input());
        double prefill = pipeline(m, layersPre + pre.embedSeconds(), layersPre, layersPre + head);
        double share = pdagc.analysis.Serving.Arrivals.prefillShare(lengths.rate(), prefill, unit);
        if (share >= 1) {
            beyondRate = new Search.Reject("E0508 the rate's prefills alone take all of the time (estimated)",
                    String.format(java.util.Locale.ROOT, "%s: %.0f%% of the time", c.meshText(), 100 * share));
            return;
        }
        long weights = L * pre.layerWeightBytes() + pre.baseWeightBytes();
        long activations = pre.activationBytes(), workspace = pre.workspaceBytes(), kv = 0;
        double step = 0;
        long batchInFlight = unit;
        if (lengths.decodeSteps() > 0) {
            double capacity = s.cluster().gpu().memoryBytes();
            long context = lengths.meanContext(), batch = unit;
            for (int plans = 0;; plans++) {
                batchInFlight = batch;
                Profile dec = cache.get(Search.key(s, c, w.decodeStep(context, batch), (int) (batch / unit)));
                if (dec.problem() != null) {
                    problem = dec.problem();
                    return;
                }
                step = decodeSeconds(dec);
                // At a rate the requests in flight are spread over their contexts: their cache is the mean context's.
                kv = dec.kvBytes() * L * m;
                activations = Math.max(pre.activationBytes(), dec.activationBytes());
                workspace = Math.max(pre.workspaceBytes(), dec.workspaceBytes());
                if (weights + kv + activations + workspace > capacity) {
                    beyondRate = new Search.Reject("E0508 the requests in flight the rate needs outgrow the GPU's memory (estimated)",
                            c.meshText() + ": more than " + batch + " requests, " + pdagc.units.Units.bytes(weights + kv + activations + workspace));
                    return;
                }
                double need = pdagc.analysis.Serving.Arrivals.inFlight(lengths.rate(), lengths.output(), step, share);
                long next = pdagc.analysis.Serving.Arrivals.batchFor(need, unit);
                if (next <= batch) break;
                if (plans == pdagc.analysis.Serving.Arrivals.MAX_STEPS - 1 || next > pdagc.analysis.Serving.Arrivals.MAX_BATCH) {
                    beyondRate = new Search.Reject("E0508 the batch the rate needs keeps growing with its decode step (estimated)",
                            c.meshText() + ": " + batch + " requests in flight need " + next);
                    return;
                }
                batch = next;
            }
        }
        if (lengths.decodeSteps() > 0 && lengths.maxBatch() > 0 && pdagc.analysis.Serving.Arrivals.inFlight(lengths.rate(), lengths.output(), step, share)
                > (double) lengths.maxBatch() * unit) {
            beyondRate = new Search.Reject("E0508 the requests in flight the rate needs exceed max_batch (estimated)", c.meshText());
            return;
        }
        // The run the compiler simulates, from the same steps: prefills of k prompts a split and decode steps of b requests a split.
        long perSplit = lengths.decodeSteps() > 0 ? Math.max(1, batchInFlight / unit) : 1;
        long admitted = lengths.decodeSteps() > 0
                ? ServingSimulation.admitted(s.cluster().gpu().memoryBytes(), weights + activations + workspace, kv, perSplit, lengths.input(), lengths.output())
                : Long.MAX_VALUE;
        double tokensPre = lengths.input();
        ServingSimulation.StepTimes steps = ServingSimulation.StepTimes.onPowersOfTwo(k -> {
            if (k == 1) return prefill;
            Profile p = cache.get(Search.key(s, c, w.prefillStep(), (int) k));
            if (p.problem() != null) return Double.NaN;
            double layers = L * p.layerSeconds() + c.virtualStages() * hop((long) (k * tokensPre));
            return pipeline(m, layers + p.embedSeconds(), layers, layers + p.baseSeconds() - p.embedSeconds());
        }, b -> {
            Profile dec = cache.get(Search.key(s, c, w.decodeStep(lengths.meanContext(), b * unit), (int) b));
            return dec.problem() != null ? Double.NaN : decodeSeconds(dec);
        });
        ServingSimulation.Result run;
        try {
            run = ServingSimulation.run(lengths.rate() / unit, lengths.requestsPerSplit(unit), lengths.input(), lengths.output(),
                    ServingSimulation.Engine.of(lengths.input(), lengths.tokenBudget(), admitted, lengths.maxBatch(),
                            lengths.chunkedPrefill()), steps);
        } catch (IllegalStateException e) {
            problem = "a step of the simulated run at the rate does not compile: " + e.getMessage();
            return;
        }
        double ttft = run.ttft().mean();
        double tpot = run.tpot().mean();
        double endToEnd = run.endToEnd().mean();
        double perGpu = lengths.rate() * lengths.output() / s.cluster().count();
        figures = new Search.Figures(endToEnd, ttft, tpot, perGpu, weights + kv + activations + workspace, weights, activations, 0,
                pp > 1 ? pipelineBubble(pp, c.virtualStages(), m) : 0, run.ttft().p99(), run.tpot().p99());
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
        double layers = L * p.layerSeconds() + hop(w.stepTokens());
        double seconds = pipeline(m, layers + p.embedSeconds(), layers, layers + p.baseSeconds() - p.embedSeconds());
        long weights = L * p.layerWeightBytes() + p.baseWeightBytes();
        long kv = w.phase() == Phase.DECODE ? p.kvBytes() * L * m : 0;
        double tokens = (double) w.batch() * w.stepTokens();
        boolean prefill = w.phase() == Phase.PREFILL;
        figures = new Search.Figures(seconds, prefill ? seconds : Double.NaN, prefill ? Double.NaN : seconds, tokens / seconds / s.cluster().count(),
                weights + kv + p.activationBytes() + p.workspaceBytes(), weights, p.activationBytes(), 0, pp > 1 ? pipelineBubble(pp, c.virtualStages(), m) : 0);
    }
}
