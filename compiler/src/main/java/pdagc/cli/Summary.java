package pdagc.cli;

import java.util.Locale;
import pdagc.driver.Plan;
import pdagc.sem.Units;

/** The one-paragraph summary printed when no output format is asked for. */
final class Summary {
    private Summary() {}

    static String of(Plan p) {
        return String.format(Locale.ROOT, "deploy %s: %d GPUs, mesh %s, %d ops per GPU, %d nodes and %d edges in the DAG%n"
                        + "memory per GPU: weights %s + KV cache %s = %s of %s",
                p.deployment().name(), p.spmd().mesh().size(), p.spmd().mesh(), p.spmd().nodes().size(), p.dag().nodes().size(),
                p.dag().edges().size(), Units.bytes(p.memory().weightBytes()), Units.bytes(p.memory().kvCacheBytes()),
                Units.bytes(p.memory().total()), Units.bytes(p.deployment().cluster().gpu().memoryBytes()));
    }
}
