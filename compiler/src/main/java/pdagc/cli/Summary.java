package pdagc.cli;

import java.util.Locale;
import pdagc.analysis.Analysis;
import pdagc.analysis.Figures;
import pdagc.analysis.Memory;
import pdagc.analysis.Serving;
import pdagc.driver.MaterializedPlan;
import pdagc.sem.Phase;
import pdagc.units.Units;

/** The one-paragraph summary printed when no output format is asked for. */
final class Summary {
    private Summary() {}

    static String of(MaterializedPlan p) {
        if (p.analysis().serving() != null) return serving(p, p.analysis().serving());
        Analysis a = p.analysis();
        Analysis.GpuFigures worst = a.largestMemory();
        Memory.PerGpu m = worst.memory();
        Analysis.Step s = a.step();
        pdagc.mesh.Pipeline pipe = p.spmd().pipeline();
        Analysis.SteadyState st = s.steady();
        String pipeline = pipe.stages() <= 1 ? ""
                : st != null ? String.format(Locale.ROOT, "%npipeline: %d stages x %d virtual, %d micro-batches, %s; decode in the steady state: "
                        + "loop of a micro-batch %s, busiest stage %s per micro-batch x %d = %s (%s-bound)", pipe.stages(), pipe.virtualStages(),
                        pipe.microBatches(), pipe.schedule().keyword(), Units.seconds(st.loopSeconds()), Units.seconds(st.stageBusySeconds()),
                        st.microBatches(), Units.seconds(st.microBatches() * st.stageBusySeconds()), st.latencyBound() ? "loop" : "stage")
                : p.fold() != null ? String.format(Locale.ROOT,
                        "%npipeline: %d stages x %d virtual, %d micro-batches, %s; bubble %.1f%% of each stage's time%n"
                                + "folded: the step's figures from the plans of %s micro-batches, on one line in the micro-batches; the DAG is the plan of %d",
                        pipe.stages(), pipe.virtualStages(), p.fold().microBatches(), pipe.schedule().keyword(),
                        100 * p.deployment().strategy().pipeline().withMicroBatches(p.fold().microBatches()).bubbleFraction(),
                        String.join(", ", p.fold().compiledAt().stream().map(String::valueOf).toList()), pipe.microBatches())
                : String.format(Locale.ROOT, "%npipeline: %d stages x %d virtual, %d micro-batches, %s; bubble %.1f%% of each stage's time",
                        pipe.stages(), pipe.virtualStages(), pipe.microBatches(), pipe.schedule().keyword(), 100 * pipe.bubbleFraction());
        return String.format(Locale.ROOT, "deploy %s: %d GPUs, mesh %s, %d ops in the SPMD program, %d nodes and %d edges in the DAG%s%n"
                        + "memory per GPU (largest, GPU %d): weights %s + KV cache %s + activations %s + workspace %s%s = %s of %s%n"
                        + "%s %s, throughput %s (pdagc FILE --emit report shows the figures)",
                p.deployment().name(), p.spmd().mesh().size(), p.spmd().mesh(), p.spmd().nodes().size(), p.dag().nodes().size(),
                p.dag().edges().size(), pipeline, worst.gpu(), Units.bytes(m.weightBytes()), Units.bytes(m.kvCacheBytes()),
                Units.bytes(m.activationBytes()), Units.bytes(m.workspaceBytes()), pdagc.analysis.Requirements.modelStates(m), Units.bytes(m.total()),
                Units.bytes(worst.capacityBytes()), s.phase() == Phase.TRAIN ? "step time" : s.phase() == Phase.PREFILL ? "TTFT" : "time per output token",
                Units.seconds(s.seconds()), Figures.tokensPerSecond(s.throughput()));
    }

    /** A serving workload: its plans, the largest memory over its steps, and the serving figures. */
    private static String serving(MaterializedPlan p, Serving s) {
        if (s.arrivals() != null) return atRate(p, s);
        Serving.StepPlan peak = s.peakStep();
        Analysis.GpuFigures worst = s.peakMemory();
        Memory.PerGpu m = worst.memory();
        String steps = s.decode() == null ? "a prefill step of " + s.input() + " tokens per sequence, which gives the one output token"
                : String.format(Locale.ROOT, "a prefill step of %d tokens per sequence, then %s (plans compiled at context%s %s)",
                        s.input(), decodeSteps(s), s.decodeContexts().size() > 1 ? "s" : "", contexts(s));
        String tpot = s.decode() == null ? "no decode step"
                : "TPOT " + Units.seconds(s.tpot()) + (s.decodeSteps() > 1 ? " (mean of " + s.decodeSteps() + " decode steps)" : " (one decode step)");
        return String.format(Locale.ROOT, "deploy %s: %d GPUs, mesh %s, %d ops in the SPMD program, %d nodes and %d edges in the DAG of %s%n"
                        + "serving %s: batch %d, input %d, output %d: %s%n"
                        + "memory per GPU (largest, GPU %d, %s): weights %s + KV cache %s + activations %s + workspace %s = %s of %s%n"
                        + "TTFT %s, %s, end-to-end %s; throughput %s per GPU, %s in all (pdagc FILE --emit report shows the figures)",
                p.deployment().name(), p.spmd().mesh().size(), p.spmd().mesh(), p.spmd().nodes().size(), p.dag().nodes().size(),
                p.dag().edges().size(), s.decode() == null ? "the prefill step" : "the last decode step", s.workload(), s.batch(), s.input(),
                s.output(), steps, worst.gpu(), stepName(s, peak), Units.bytes(m.weightBytes()), Units.bytes(m.kvCacheBytes()),
                Units.bytes(m.activationBytes()), Units.bytes(m.workspaceBytes()), Units.bytes(m.total()), Units.bytes(worst.capacityBytes()),
                Units.seconds(s.ttft()), tpot, Units.seconds(s.endToEnd()), Figures.tokensPerSecond(s.throughputPerGpu()),
                Figures.tokensPerSecond(s.throughput()));
    }

    /** A serving workload at a request rate: the requests in flight it settles at, and the simulated run's means with their 99th percentiles. */
    private static String atRate(MaterializedPlan p, Serving s) {
        Serving.Arrivals r = s.arrivals();
        Analysis.GpuFigures worst = s.peakMemory();
        Memory.PerGpu m = worst.memory();
        String steps = s.decode() == null ? "prefill steps of " + r.prefillBatch() + " x " + s.input() + " tokens"
                : String.format(Locale.ROOT, "%.1f requests in flight (decode step of %d at the mean context %d), prefills %s of the time", r.inFlight(),
                        r.decodeBatch(), s.decodeFirst().context(), Figures.percent(r.prefillShare()));
        String tpot = s.decode() == null ? "no decode step" : "TPOT " + Units.seconds(s.tpot()) + " (p99 " + Units.seconds(s.tpotP99()) + ")";
        String ttft = Units.seconds(s.ttft()) + " (p99 " + Units.seconds(s.ttftP99()) + ")";
        return String.format(Locale.ROOT, "deploy %s: %d GPUs, mesh %s, %d ops in the SPMD program, %d nodes and %d edges in the DAG of %s%n"
                        + "serving %s at %s, input %d, output %d: %s%n"
                        + "memory per GPU (largest, GPU %d): weights %s + KV cache %s + activations %s + workspace %s = %s of %s%n"
                        + "TTFT %s, %s, end-to-end %s; throughput %s per GPU, %s in all (pdagc FILE --emit report shows the figures)",
                p.deployment().name(), p.spmd().mesh().size(), p.spmd().mesh(), p.spmd().nodes().size(), p.dag().nodes().size(),
                p.dag().edges().size(), s.decode() == null ? "the prefill step" : "the decode step", s.workload(), Figures.rate(r.rate()), s.input(),
                s.output(), steps, worst.gpu(), Units.bytes(m.weightBytes()), Units.bytes(m.kvCacheBytes()), Units.bytes(m.activationBytes()),
                Units.bytes(m.workspaceBytes()), Units.bytes(m.total()), Units.bytes(worst.capacityBytes()), ttft, tpot,
                Units.seconds(s.endToEnd()), Figures.tokensPerSecond(s.throughputPerGpu()), Figures.tokensPerSecond(s.throughput()));
    }

    static String stepName(Serving s, Serving.StepPlan step) {
        return step == s.prefill() ? "the prefill step" : "the decode step at context " + step.context();
    }

    /** "127 decode steps at contexts 129 to 255", or "1 decode step at context 129". */
    static String decodeSteps(Serving s) {
        return s.decodeSteps() == 1 ? "1 decode step at context " + s.decodeFirst().context()
                : s.decodeSteps() + " decode steps at contexts " + s.decodeFirst().context() + " to " + s.decodeLast().context();
    }

    static String contexts(Serving s) {
        return String.join(", ", s.decodeContexts().stream().map(String::valueOf).toList());
    }
}
