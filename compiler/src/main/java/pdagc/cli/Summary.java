package pdagc.cli;

import java.util.Locale;
import pdagc.driver.Plan;
import pdagc.sem.Units;

/** The one-paragraph summary printed when no output format is asked for. */
final class Summary {
    private Summary() {}

    static String of(Plan p) {
        pdagc.mesh.Pipeline pipe = p.spmd().pipeline();
        String pipeline = pipe.stages() > 1
                ? String.format(Locale.ROOT, "%npipeline: %d stages x %d virtual, %d micro-batches, %s; bubble %.1f%% of each stage's time",
                        pipe.stages(), pipe.virtualStages(), pipe.microBatches(), pipe.schedule().keyword(), 100 * pipe.bubbleFraction())
                : "";
        return String.format(Locale.ROOT, "deploy %s: %d GPUs, mesh %s, %d ops in the SPMD program, %d nodes and %d edges in the DAG%s%n"
                        + "memory per GPU (the fullest): weights %s + KV cache %s = %s of %s",
                p.deployment().name(), p.spmd().mesh().size(), p.spmd().mesh(), p.spmd().nodes().size(), p.dag().nodes().size(),
                p.dag().edges().size(), pipeline, Units.bytes(p.memory().weightBytes()), Units.bytes(p.memory().kvCacheBytes()),
                Units.bytes(p.memory().total()), Units.bytes(p.deployment().cluster().gpu().memoryBytes()));
    }
}
