package pdagc.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import pdagc.analysis.Analysis;
import pdagc.analysis.CollectiveCost;
import pdagc.analysis.Figures;
import pdagc.analysis.Requirements;
import pdagc.analysis.Serving;
import pdagc.dag.DagNode;
import pdagc.dag.PlanDag;
import pdagc.sem.ClusterSpec;
import pdagc.sem.Deployment;
import pdagc.sem.GpuSpec;
import pdagc.sem.Phase;
import pdagc.sem.Requirement;
import pdagc.sem.WorkloadSpec;
import pdagc.units.Units;

/**
 * Writes the analysis of a plan as a text report for people: the deployment and its hardware,
 * model figures, one column per distinct GPU role (each figure the largest over the role's GPUs),
 * totals over all GPUs, the step's latency and throughput with what its critical path spends time
 * on, and every {@code require} clause with its figure. A pure function of the deployment, the DAG
 * and its {@link Analysis}; the numbers come from the analysis, only their layout is decided here.
 */
public final class ReportBackend {
    /** Roles side by side in one table; more roles continue in another table below. */
    static final int ROLES_PER_TABLE = 4;
    private static final int LABEL = 30;
    private static final int COLUMN = 22;

    private ReportBackend() {}

    public static String render(Deployment d, PlanDag dag, Analysis a) {
        StringBuilder b = new StringBuilder(4096);
        header(b, d, dag, a.serving());
        model(b, d, a);
        if (a.serving() != null) {
            serving(b, dag, a.serving());
            Serving s = a.serving();
            b.append("Prefill step (").append(prefillBatch(s)).append(" x ").append(s.input()).append(" tokens)\n\n");
            steps(b, d, s.prefill().dag(), s.prefill().analysis());
            if (s.decodeLast() != null) {
                b.append("Decode step at context ").append(s.decodeLast().context()).append(s.arrivals() != null
                        ? " (" + s.batch() + " requests at their mean context; its plan is the one that --emit writes)\n\n"
                        : " (the last and largest; its plan is the one that --emit writes)\n\n");
                steps(b, d, s.decodeLast().dag(), s.decodeLast().analysis());
            }
        } else {
            steps(b, d, dag, a);
        }
        requirements(b, a);
        return b.toString();
    }

    private static void steps(StringBuilder b, Deployment d, PlanDag dag, Analysis a) {
        roles(b, dag, a);
        totals(b, dag, a);
        step(b, d, dag, a);
        if (a.training() != null) training(b, d, a.training());
    }

    /** A training step's FLOPs, its utilization and the activations its layers store for the backward pass. */
    private static void training(StringBuilder b, Deployment d, Analysis.Training t) {
        b.append("Training step (matrix products of every GPU's nodes; attention counts the full score square)\n");
        boolean recomputes = !t.hardwareFlops().equals(t.modelFlops());
        row(b, "model FLOPs", List.of(Figures.flops(t.modelFlops().doubleValue()) + " (forward and backward" + (recomputes ? ", without recomputation)" : ")")));
        row(b, "hardware FLOPs", List.of(Figures.flops(t.hardwareFlops().doubleValue()) + (recomputes ? " (with the recomputed forward ops)" : " (nothing recomputed)")));
        String peak = Figures.flops(t.peakFlops()) + "/s";
        row(b, "MFU", List.of(Figures.percent(t.mfu()) + " (model FLOPs per second per GPU over the peak " + peak + ")"));
        row(b, "HFU", List.of(Figures.percent(t.hfu()) + " (hardware FLOPs per second per GPU over the peak)"));
        if (t.overlap() != null) {
            // overlap_grad_reduce: what ran on the second stream, and what the step would take on one.
            Analysis.Overlap o = t.overlap();
            row(b, "gradient reduction", List.of(Units.seconds(o.secondStreamSeconds()) + " on a second stream (overlap_grad_reduce), "
                    + Units.seconds(Math.max(0, o.oneStreamSeconds() - t.seconds())) + " of it hidden behind computation"));
            row(b, "step on one stream", List.of(Units.seconds(o.oneStreamSeconds()) + " (without the overlap)"));
        }
        if (!t.stored().isEmpty()) {
            // Layers that store the same bytes are shown as one range.
            List<String> cells = new ArrayList<>();
            int from = 0;
            List<pdagc.analysis.StoredActivations.Layer> layers = t.stored();
            for (int i = 1; i <= layers.size(); i++) {
                if (i < layers.size() && layers.get(i).bytes() == layers.get(from).bytes()) continue;
                int first = layers.get(from).layer(), last = layers.get(i - 1).layer();
                cells.add(Units.bytes(layers.get(from).bytes()) + " (" + (first == last ? "layer " + first : "layers " + first + "-" + last) + ")");
                from = i;
            }
            row(b, "activations stored per layer", List.of(String.join(", ", cells)));
            row(b, "", List.of("per GPU and micro-batch: the forward values the backward pass reads"));
        }
        b.append('\n');
    }

    /** A figure's mean and percentiles over a simulated run's requests. */
    private static String spread(pdagc.analysis.ServingSimulation.Spread x) {
        return "mean " + Units.seconds(x.mean()) + "; p50 " + Units.seconds(x.p50()) + ", p90 " + Units.seconds(x.p90()) + ", p99 " + Units.seconds(x.p99());
    }

    /** The sequences of the prefill step: the fixed batch, or at a rate the requests prefilled together. */
    private static long prefillBatch(Serving s) {
        return s.arrivals() != null ? s.arrivals().prefillBatch() : s.batch();
    }

    /**
     * A serving workload at a request rate: the steady state's figures ({@link Serving.Arrivals}),
     * and the simulated run's means and percentiles ({@link pdagc.analysis.ServingSimulation}).
     */
    private static void atRate(StringBuilder b, Serving s) {
        Serving.Arrivals r = s.arrivals();
        pdagc.analysis.ServingSimulation.Result run = r.simulated();
        double prefill = s.prefill().analysis().step().seconds();
        b.append("Serving at ").append(Figures.rate(r.rate())).append(" (Poisson arrivals, an engine that batches at every iteration; from the plans of the"
                + " prefill step").append(s.decode() == null ? "" : " and of the decode step at the mean context " + s.decodeFirst().context())
                .append(run == null ? ")\n" : "; " + run.requests() * r.prefillBatch() + " requests simulated one by one)\n");
        row(b, "steady state", List.of((s.decode() == null ? "none decoding (one output token: the prefill gives it)"
                : String.format(Locale.ROOT, "%.1f requests in flight (the decode step compiled for %d, %s)", r.inFlight(), r.decodeBatch(),
                        Units.seconds(r.decodeStepSeconds()))) + "; prefills " + Figures.percent(r.prefillShare()) + " of the time ("
                + r.prefillBatch() + " x " + s.input() + " tokens a step, " + Units.seconds(prefill) + ")"));
        if (run != null) {
            row(b, "requests in flight", List.of(String.format(Locale.ROOT, "%.1f on average, at most %d%s", run.meanInFlight() * r.prefillBatch(),
                    run.mostInFlight() * r.prefillBatch(), r.prefillBatch() > 1 ? " (" + r.prefillBatch() + " splits of the batch, each its own queue)" : "")));
            long admits = run.engine().inFlight();
            row(b, "engine limits", List.of((admits == Long.MAX_VALUE ? "no limit on the requests in flight" : "at most " + admits + " requests in flight")
                    + (r.prefillBatch() > 1 ? " a split" : "") + ", " + (run.engine().chunked()
                            ? "chunked prefill: " + run.engine().tokenBudget() + " tokens an iteration, one for each request decoding first, the rest from the prompts ("
                                    + s.input() + " tokens each) in order"
                            : run.engine().promptsPerIteration() + " prompt" + (run.engine().promptsPerIteration() == 1 ? "" : "s")
                                    + " prefilled an iteration (" + s.input() + " tokens each)")));
            row(b, "time to first token (TTFT)", List.of(spread(run.ttft()) + " (waiting for an iteration, then the one that prefills it)"));
            if (s.decode() == null) {
                row(b, "time per output token (TPOT)", List.of("n/a (one output token: the prefill gives it)"));
            } else {
                row(b, "time per output token (TPOT)", List.of(spread(run.tpot()) + " (decode steps stretched by the prefills in their iterations)"));
            }
            row(b, "end-to-end latency", List.of(spread(run.endToEnd()) + (s.decode() == null ? " (TTFT)" : " (the mean: TTFT + " + s.decodeSteps() + " x TPOT)")));
        } else {
            row(b, "time to first token (TTFT)", List.of(Units.seconds(s.ttft())));
            row(b, "time per output token (TPOT)", List.of(s.decode() == null ? "n/a (one output token: the prefill gives it)" : Units.seconds(s.tpot())));
            row(b, "end-to-end latency", List.of(Units.seconds(s.endToEnd())));
        }
        row(b, "throughput per GPU", List.of(Figures.tokensPerSecond(s.throughputPerGpu()) + " (" + Figures.rate(r.rate()) + " x " + s.output()
                + " tokens, " + s.gpus() + " GPUs)"));
        row(b, "throughput, in all", List.of(Figures.tokensPerSecond(s.throughput())));
        Analysis.GpuFigures peak = s.peakMemory();
        row(b, "largest memory per GPU", List.of(Units.bytes(peak.memory().total()) + " (GPU " + peak.gpu() + ", "
                + (s.peakStep() == s.prefill() ? "the prefill step" : "the decode step of the requests in flight") + ")"));
        splitHeader(b);
        split(b, "prefill", prefill, Serving.times(s.prefill().dag(), s.prefill().analysis()));
        if (s.decode() != null) {
            split(b, "decode, context " + s.decodeFirst().context(), s.decodeFirst().analysis().step().seconds(),
                    Serving.times(s.decodeFirst().dag(), s.decodeFirst().analysis()));
        }
        b.append('\n');
    }

    /** The serving figures, and each step's time split by role. */
    private static void serving(StringBuilder b, PlanDag dag, Serving s) {
        if (s.arrivals() != null) {
            atRate(b, s);
            return;
        }
        b.append("Serving (from the plans of the prefill step").append(s.decodeContexts().isEmpty() ? ""
                : " and of the decode step" + (s.decodeContexts().size() > 1 ? "s at contexts " : " at context ")
                        + String.join(", ", s.decodeContexts().stream().map(String::valueOf).toList())).append(")\n");
        row(b, "time to first token (TTFT)", List.of(Units.seconds(s.ttft()) + " (the prefill step: " + s.batch() + " x " + s.input() + " tokens)"));
        if (s.decode() == null) {
            row(b, "time per output token (TPOT)", List.of("n/a (one output token: the prefill gives it)"));
        } else {
            row(b, "time per output token (TPOT)", List.of(Units.seconds(s.tpot()) + (s.decodeSteps() == 1
                    ? " (the one decode step, context " + s.decodeFirst().context() + ")"
                    : " (mean of the " + s.decodeSteps() + " decode steps, contexts " + s.decodeFirst().context() + " to " + s.decodeLast().context() + ")")));
            row(b, "", List.of(s.decode().exact()
                    ? "exact: every figure is affine in the context between the contexts compiled"
                    : "approximate: the figures interpolated linearly between the " + s.decodeContexts().size() + " contexts compiled"));
        }
        row(b, "end-to-end latency", List.of(Units.seconds(s.endToEnd()) + (s.decode() == null ? " (TTFT)" : " (TTFT + " + s.decodeSteps() + " x TPOT)")));
        row(b, "throughput per GPU", List.of(Figures.tokensPerSecond(s.throughputPerGpu()) + " (" + s.batch() + " x " + s.output()
                + " tokens over the end-to-end latency, " + s.gpus() + " GPUs)"));
        row(b, "throughput, in all", List.of(Figures.tokensPerSecond(s.throughput())));
        Analysis.GpuFigures peak = s.peakMemory();
        row(b, "largest memory per GPU", List.of(Units.bytes(peak.memory().total()) + " (GPU " + peak.gpu() + ", "
                + (s.peakStep() == s.prefill() ? "the prefill step" : "the decode step at context " + s.peakStep().context()) + ")"));
        splitHeader(b);
        split(b, "prefill", s.prefill().analysis().step().seconds(), Serving.times(s.prefill().dag(), s.prefill().analysis()));
        if (s.decode() != null) {
            split(b, "decode (mean)", s.decode().seconds(), s.decode().roles());
            split(b, "decode, context " + s.decodeFirst().context(), s.decodeFirst().analysis().step().seconds(),
                    Serving.times(s.decodeFirst().dag(), s.decodeFirst().analysis()));
            if (s.decodeLast() != s.decodeFirst()) {
                split(b, "decode, context " + s.decodeLast().context(), s.decodeLast().analysis().step().seconds(),
                        Serving.times(s.decodeLast().dag(), s.decodeLast().analysis()));
            }
        }
        b.append('\n');
    }

    /** The heading of the steps' time split by role ({@link #split}). */
    private static void splitHeader(StringBuilder b) {
        b.append("  time of each step by GPU role (each figure the largest over the role's GPUs):\n");
        b.append(String.format(Locale.ROOT, "    %-22s %-6s %12s %13s %15s %12s%n", "step", "role", "time", "computation", "communication", "idle"));
    }

    private static void split(StringBuilder b, String step, double seconds, List<Serving.RoleTimes> roles) {
        for (Serving.RoleTimes r : roles) {
            b.append(String.format(Locale.ROOT, "    %-22s %-6d %12s %13s %15s %12s%n", step, r.role(), Units.seconds(seconds),
                    Units.seconds(r.computeSeconds()), Units.seconds(r.communicationSeconds()), Units.seconds(r.idleSeconds())));
        }
    }

    /** A GPU's memory: in GB, and where it is a whole number of GiB (as the devices hold it: 80 GiB on an H100), that too. */
    static String capacity(double bytes) {
        double gib = bytes / (1L << 30);
        return Units.bytes(bytes) + (gib >= 1 && gib == Math.rint(gib) ? " (" + (long) gib + " GiB)" : "");
    }

    private static void header(StringBuilder b, Deployment d, PlanDag dag, Serving serving) {
        ClusterSpec c = d.cluster();
        GpuSpec g = c.gpu();
        WorkloadSpec w = d.workload();
        b.append("pdagc report: deploy ").append(d.name()).append(" (").append(visible(dag.source())).append(")\n");
        b.append("  model      ").append(d.model().name()).append('\n');
        b.append("  cluster    ").append(c.name()).append(": ").append(c.count()).append(" x ").append(g.name()).append(", ")
                .append(c.perNode()).append(" per node; per GPU ").append(capacity(g.memoryBytes())).append(", ")
                .append(Figures.flops(g.peakFlops())).append("/s x ").append(fraction(g.computeEfficiency())).append(", HBM ")
                .append(Units.bytes(g.hbmBandwidth())).append("/s x ").append(fraction(g.bandwidthEfficiency())).append('\n');
        CollectiveCost.Link inNode = CollectiveCost.nodeLink(c);
        b.append("             ").append(inNode.text()).append(' ').append(Units.bytes(CollectiveCost.bandwidth(inNode, c)))
                .append("/s per direction (").append(Units.bytes(g.nodeLinkBandwidth())).append("/s both").append(g.hasNvlink() ? "" : ", no NVLink")
                .append("), latency ")
                .append(Units.seconds(c.nvlinkLatency())).append("; network ")
                .append(Units.bytes(CollectiveCost.bandwidth(CollectiveCost.Link.NETWORK, c))).append("/s per GPU, latency ")
                .append(Units.seconds(c.networkLatency())).append('\n');
        b.append("  strategy   ").append(d.strategy().name()).append(": mesh ").append(dag.mesh()).append('\n');
        if (serving != null) {
            b.append("  workload   ").append(w.name()).append(": serving, ").append(serving.arrivals() != null ? Figures.rate(serving.arrivals().rate())
                    : "batch " + serving.batch()).append(", input ").append(serving.input())
                    .append(", output ").append(serving.output()).append(", ").append(w.precision().text()).append(expertCosting(w)).append("\n\n");
            return;
        }
        b.append("  workload   ").append(w.name()).append(": ").append(w.phase().keyword()).append(", batch ").append(w.batch())
                .append(w.phase() == Phase.PREFILL ? ", seq " + w.seq() : "").append(", context ").append(w.context()).append(", ")
                .append(w.precision().text()).append(expertCosting(w)).append("\n\n");
    }

    /**
     * The workload's routing where it is not the plan's balanced assumption, and the experts' kernels
     * where they are not the GPU's own: the expert products are costed under both.
     */
    private static String expertCosting(WorkloadSpec w) {
        pdagc.sem.Execution.Routing r = w.execution().routing();
        return (r == pdagc.sem.Execution.Routing.BALANCED ? "" : ", routing " + r.keyword())
                + (w.execution().sm80Experts() ? ", expert_kernels " + w.execution().expertKernelsKeyword() : "");
    }

    private static void model(StringBuilder b, Deployment d, Analysis a) {
        b.append("Model\n");
        row(b, "KV cache per token", List.of(Units.bytes(a.kvBytesPerToken()) + " (" + a.kvBytesPerToken() + " bytes, all layers)"));
        java.util.Optional<pdagc.lower.ModelStats> stats = pdagc.lower.ModelStats.of(d.model(), d.program(), new pdagc.diag.Diagnostics());
        if (stats.isPresent()) {
            row(b, "parameters, total", List.of(String.format(java.util.Locale.ROOT, "%,d", stats.get().totalParams())));
            row(b, "parameters, active per token", List.of(String.format(java.util.Locale.ROOT, "%,d", stats.get().activeParams())));
            row(b, "weights, bf16", List.of(Units.bytes(2.0 * stats.get().totalParams())));
        }
        b.append('\n');
    }

    private static void roles(StringBuilder b, PlanDag dag, Analysis a) {
        List<PlanDag.Role> roles = Roles.of(dag).all();
        for (int from = 0; from < roles.size(); from += ROLES_PER_TABLE) {
            List<PlanDag.Role> chunk = roles.subList(from, Math.min(roles.size(), from + ROLES_PER_TABLE));
            List<Analysis.GpuFigures> f = new ArrayList<>();
            for (PlanDag.Role r : chunk) f.add(a.role(r));
            b.append(from == 0 ? "Per GPU role (each figure the largest over the role's GPUs)\n" : "Per GPU role (continued)\n");
            row(b, "", chunk.stream().map(r -> "role " + r.id()).toList());
            row(b, "GPUs", chunk.stream().map(r -> GpuRanges.format(r.gpus()) + " (" + r.multiplicity() + ")").toList());
            row(b, "weights", f.stream().map(g -> Units.bytes(g.memory().weightBytes())).toList());
            row(b, "KV cache", f.stream().map(g -> Units.bytes(g.memory().kvCacheBytes())).toList());
            row(b, "activations (peak)", f.stream().map(g -> Units.bytes(g.memory().activationBytes())).toList());
            row(b, "collective workspace", f.stream().map(g -> Units.bytes(g.memory().workspaceBytes())).toList());
            if (f.stream().anyMatch(g -> g.memory().optimizerBytes() > 0)) {
                row(b, "gradients", f.stream().map(g -> Units.bytes(g.memory().gradientBytes())).toList());
                row(b, "optimizer states", f.stream().map(g -> Units.bytes(g.memory().optimizerBytes()) + " (fp32 master, 2 moments)").toList());
            }
            row(b, "memory total", f.stream().map(g -> Units.bytes(g.memory().total())).toList());
            row(b, "of capacity", f.stream().map(g -> Figures.percent(g.memory().total() / g.capacityBytes()) + " of "
                    + Units.bytes(g.capacityBytes())).toList());
            row(b, "FLOPs", f.stream().map(g -> Figures.flops(g.flops())).toList());
            row(b, "HBM bytes read+written", f.stream().map(g -> Units.bytes(g.hbmBytes())).toList());
            row(b, "collective buffers", f.stream().map(g -> Units.bytes(g.collectiveBufferBytes())).toList());
            row(b, "collective bytes sent", f.stream().map(g -> Units.bytes(g.collectiveTrafficBytes())).toList());
            row(b, "computation time", f.stream().map(g -> Units.seconds(g.computeSeconds())).toList());
            row(b, "  of which overheads", f.stream().map(g -> Units.seconds(g.overheadSeconds()) + " (kernel overhead, launches)").toList());
            row(b, "communication time", f.stream().map(g -> Units.seconds(g.communicationSeconds())).toList());
            row(b, "idle (waiting)", f.stream().map(g -> Units.seconds(g.idleSeconds())).toList());
            b.append('\n');
        }
    }

    private static void totals(StringBuilder b, PlanDag dag, Analysis a) {
        Analysis.Totals t = a.totals();
        Analysis.GpuFigures worst = a.largestMemory();
        b.append("Totals over ").append(dag.gpus().size()).append(" GPUs\n");
        row(b, "FLOPs", List.of(Figures.flops(t.flops())));
        row(b, "HBM bytes read+written", List.of(Units.bytes(t.hbmBytes())));
        row(b, "collective bytes sent", List.of(Units.bytes(t.collectiveTrafficBytes())));
        row(b, "largest memory per GPU", List.of(Units.bytes(worst.memory().total()) + " (GPU " + worst.gpu() + ")"));
        b.append('\n');
    }

    private static void step(StringBuilder b, Deployment d, PlanDag dag, Analysis a) {
        Analysis.Step s = a.step();
        boolean prefill = s.phase() == Phase.PREFILL;
        boolean train = s.phase() == Phase.TRAIN;
        Analysis.SteadyState st = s.steady();
        b.append(st == null ? "Step (the critical path of one " + s.phase().keyword() + " step)\n"
                : "Step (decode in the steady state: the micro-batches stay in flight from step to step)\n");
        row(b, train ? "step time" : prefill ? "TTFT" : "time per output token (TPOT)", List.of(Units.seconds(s.seconds())
                + (st == null ? "" : st.latencyBound() ? " (the loop of one micro-batch)" : " (" + st.microBatches() + " x the busiest stage per micro-batch)")));
        row(b, "throughput", List.of(Figures.tokensPerSecond(s.throughput()) + " (" + s.tokens() + " tokens per step)"));
        if (st != null) {
            row(b, "micro-batches in flight", List.of(st.microBatches() + " over " + st.stages() + " stages; a sequence's next token comes when its micro-batch"));
            row(b, "", List.of("returns to the first stage: TPOT = max(loop, m x busiest stage per micro-batch)"));
            row(b, "loop of one micro-batch", List.of(Units.seconds(st.loopSeconds()) + " (through every stage, send/recv included)"));
            row(b, "busiest stage per micro-batch", List.of(Units.seconds(st.stageBusySeconds()) + " (GPU " + st.busiestGpu() + ": computation + communication), x "
                    + st.microBatches() + " = " + Units.seconds(st.microBatches() * st.stageBusySeconds())));
            row(b, "bound by", List.of(st.latencyBound()
                    ? "the loop (fewer micro-batches in flight than keep every stage busy)"
                    : "the busiest stage (every stage has a micro-batch to work on)"));
            row(b, "one step filling and draining", List.of(Units.seconds(st.stepSeconds()) + " (the critical path of a step on its own)"));
        }
        row(b, "communication on the path", List.of(Units.seconds(s.communicationSeconds()) + " (" + Figures.percent(s.communicationShare())
                + ")"));
        row(b, "pipeline bubble", List.of(s.pipelineBubble().isEmpty() ? "none (pp 1)"
                : st != null ? Figures.percent(s.pipelineBubble().getAsDouble()) + " of the busiest stage's cycle" + (st.latencyBound()
                        ? " (waiting for its micro-batches to come round)" : " (no fill or drain in the steady state)")
                : Figures.percent(s.pipelineBubble().getAsDouble()) + " of each stage's step ((p - 1) / (v·m + p - 1), balanced stages)"));
        b.append(st == null ? "  time on the critical path by op:\n"
                : st.latencyBound() ? "  time on the loop of one micro-batch by op:\n" : "  time of the busiest stage's cycle by op:\n");
        Map<String, double[]> byOp = new TreeMap<>();
        for (int i : s.path()) {
            DagNode n = dag.nodes().get(i);
            double[] v = byOp.computeIfAbsent(n.op().name(), k -> new double[2]);
            v[0]++;
            v[1] += a.nodes().seconds(i);
        }
        List<Map.Entry<String, double[]>> ops = new ArrayList<>(byOp.entrySet());
        ops.sort((x, y) -> Double.compare(y.getValue()[1], x.getValue()[1]));
        for (Map.Entry<String, double[]> e : ops) {
            if (e.getValue()[1] <= 0) continue;
            b.append(String.format(Locale.ROOT, "    %-24s %5d x  %12s  %7s%n", e.getKey(), (long) e.getValue()[0],
                    Units.seconds(e.getValue()[1]), Figures.percent(e.getValue()[1] / s.seconds())));
        }
        b.append('\n');
    }

    private static void requirements(StringBuilder b, Analysis a) {
        b.append("Requirements\n");
        if (a.requirements().isEmpty()) b.append("  (none)\n");
        for (Requirements.Result r : a.requirements()) {
            String clause = clause(r.requirement());
            String outcome = !r.applicable() ? "not evaluated: " + r.why() : (r.holds() ? "met: " : "VIOLATED: ") + r.figure();
            row(b, clause, List.of(outcome));
        }
    }

    /** The clause as written, without {@code require}, spaces collapsed. */
    private static String clause(Requirement q) {
        String text = q.span().isNone() ? "" : q.span().text().replaceAll("\\s+", " ").trim();
        if (text.startsWith("require ")) return visible(text.substring("require ".length()));
        return q.metric() + " " + q.comparison() + " " + q.limitText() + (q.metric().equals("memory") ? " per gpu" : "");
    }

    private static void row(StringBuilder b, String label, List<String> cells) {
        StringBuilder line = new StringBuilder("  ").append(label);
        pad(line, LABEL + 2);
        for (int i = 0; i < cells.size(); i++) {
            line.append(cells.get(i));
            if (i < cells.size() - 1) pad(line, LABEL + 2 + (i + 1) * COLUMN);
        }
        b.append(line.toString().stripTrailing()).append('\n');
    }

    private static void pad(StringBuilder s, int to) {
        do s.append(' '); while (s.length() < to);
    }

    private static String fraction(double f) {
        return String.format(Locale.ROOT, "%.2f", f);
    }

    /** The text with control and bidirectional characters written as {@code \\uXXXX}, so a path cannot reorder the report. */
    static String visible(String s) {
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(c -> {
            if (Character.isISOControl(c) || BidiControls.is(c) || c == 0x2028 || c == 0x2029) b.append(String.format(Locale.ROOT, "\\u%04X", c));
            else b.appendCodePoint(c);
        });
        return b.toString();
    }
}
