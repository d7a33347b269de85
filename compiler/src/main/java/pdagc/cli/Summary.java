package pdagc.cli;

import java.util.Locale;
import pdagc.analysis.Analysis;
import pdagc.analysis.Figures;
import pdagc.analysis.Memory;
import pdagc.driver.MaterializedPlan;
import pdagc.sem.Phase;
import pdagc.units.Units;

/** The one-paragraph summary printed when no output format is asked for. */
final class Summary {
    private Summary() {}

    static String of(MaterializedPlan p) {
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
                : String.format(Locale.ROOT, "%npipeline: %d stages x %d virtual, %d micro-batches, %s; bubble %.1f%% of each stage's time",
                        pipe.stages(), pipe.virtualStages(), pipe.microBatches(), pipe.schedule().keyword(), 100 * pipe.bubbleFraction());
        return String.format(Locale.ROOT, "deploy %s: %d GPUs, mesh %s, %d ops in the SPMD program, %d nodes and %d edges in the DAG%s%n"
                        + "memory per GPU (largest, GPU %d): weights %s + KV cache %s + activations %s + workspace %s = %s of %s%n"
                        + "%s %s, throughput %s (pdagc FILE --emit report shows the figures)",
                p.deployment().name(), p.spmd().mesh().size(), p.spmd().mesh(), p.spmd().nodes().size(), p.dag().nodes().size(),
                p.dag().edges().size(), pipeline, worst.gpu(), Units.bytes(m.weightBytes()), Units.bytes(m.kvCacheBytes()),
                Units.bytes(m.activationBytes()), Units.bytes(m.workspaceBytes()), Units.bytes(m.total()),
                Units.bytes(worst.capacityBytes()), s.phase() == Phase.PREFILL ? "TTFT" : "time per output token",
                Units.seconds(s.seconds()), Figures.tokensPerSecond(s.throughput()));
    }
}
