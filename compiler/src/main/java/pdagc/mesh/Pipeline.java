package pdagc.mesh;

import java.util.ArrayList;
import java.util.List;

/**
 * How the layers are pipelined: {@code stages} pipeline stages (the mesh's pp), each holding
 * {@code virtualStages} chunks of contiguous layers (chunk c on stage c % stages), and
 * {@code microBatches} micro-batches run through them in the schedule's order.
 */
public record Pipeline(int stages, int virtualStages, int microBatches, Schedule schedule) {

    /** The supported schedules (forward only: inference runs no backward pass). */
    public enum Schedule {
        /** All micro-batches in order through each stage (GPipe's forward). */
        GPIPE,
        /** One-forward-one-backward; without a backward pass its forward order is GPipe's. */
        ONE_F_ONE_B,
        /** Megatron's interleaved schedule: micro-batches in groups of {@code stages}, chunk by chunk. */
        INTERLEAVED;

        public String keyword() {
            return switch (this) {
                case GPIPE -> "gpipe";
                case ONE_F_ONE_B -> "1f1b";
                case INTERLEAVED -> "interleaved";
            };
        }
    }

    public static final Pipeline NONE = new Pipeline(1, 1, 1, Schedule.GPIPE);

    /** The same pipeline with {@code m} micro-batches. */
    public Pipeline withMicroBatches(int m) {
        return new Pipeline(stages, virtualStages, m, schedule);
    }

    public int chunks() {
        return stages * virtualStages;
    }

    public int stageOf(int chunk) {
        return chunk % stages;
    }

    /** One step of a stage's schedule: a micro-batch through one chunk, forward or (in training) backward. */
    public record Unit(int microBatch, int chunk, boolean backward) {
        public Unit(int microBatch, int chunk) {
            this(microBatch, chunk, false);
        }
    }

    /**
     * The order in which a stage runs a training step's units, forward and backward:
     * <ul>
     *   <li>GPipe: every micro-batch forward, then every micro-batch backward (chunks in reverse);
     *   <li>1F1B (PipeDream-Flush, Narayanan et al. 2021): {@code pp - stage - 1} warm-up forwards,
     *       then one forward and one backward in turn, then the cool-down backwards, so a stage holds
     *       at most {@code pp - stage} micro-batches' activations;
     *   <li>interleaved 1F1B (Megatron-LM's schedule with {@code v} model chunks per stage): the
     *       same over the {@code m·v} (micro-batch, chunk) pairs, with {@code (pp - stage - 1)·2 +
     *       (v - 1)·pp} warm-up forwards; the k-th forward runs chunk {@code (k mod pp·v) / pp} of
     *       the stage on micro-batch {@code (k / (pp·v))·pp + k mod pp}, the k-th backward the same
     *       micro-batch on the chunks in reverse (m a multiple of pp, as Megatron requires).
     * </ul>
     */
    public List<Unit> trainingOrder(int stage) {
        List<Unit> out = new ArrayList<>();
        int m = microBatches;
        if (schedule == Schedule.GPIPE) {
            for (int mb = 0; mb < m; mb++) for (int v = 0; v < virtualStages; v++) out.add(new Unit(mb, stage + v * stages, false));
            for (int mb = 0; mb < m; mb++) for (int v = virtualStages - 1; v >= 0; v--) out.add(new Unit(mb, stage + v * stages, true));
            return out;
        }
        int total = m * virtualStages;
        int warmup = warmup(stage);
        for (int k = 0; k < warmup; k++) out.add(virtualUnit(stage, k, false));
        for (int i = 0; i < total - warmup; i++) {
            out.add(virtualUnit(stage, warmup + i, false));
            out.add(virtualUnit(stage, i, true));
        }
        for (int k = total - warmup; k < total; k++) out.add(virtualUnit(stage, k, true));
        return out;
    }

    /**
     * The forward units a stage runs before its steady state in a training step: its warm-up,
     * {@code pp - stage - 1} under 1F1B, {@code (pp - stage - 1)·2 + (v - 1)·pp} interleaved, at most
     * every unit; under GPipe every forward unit (it has no steady state). After the warm-up a
     * stage alternates one forward and one backward unit {@code v·m - warmup} times, then runs the
     * remaining {@code warmup} backward units (its cool-down).
     */
    public int warmup(int stage) {
        int total = microBatches * virtualStages;
        if (schedule == Schedule.GPIPE) return total;
        int w = schedule == Schedule.INTERLEAVED ? (stages - stage - 1) * 2 + (virtualStages - 1) * stages : stages - stage - 1;
        return Math.min(w, total);
    }

    /** The k-th forward or backward (micro-batch, chunk) pair of a stage under 1F1B or its interleaved form. */
    private Unit virtualUnit(int stage, int k, boolean backward) {
        if (virtualStages == 1) return new Unit(k, stage, backward);
        int group = stages * virtualStages;
        int v = (k % group) / stages;
        if (backward) v = virtualStages - 1 - v;
        int mb = (k / group) * stages + k % stages;
        return new Unit(mb, stage + v * stages, backward);
    }

    /** The order in which a stage runs its (micro-batch, chunk) units. */
    public List<Unit> order(int stage) {
        List<Unit> out = new ArrayList<>();
        if (schedule == Schedule.INTERLEAVED) {
            for (int group = 0; group < microBatches; group += stages) {
                for (int v = 0; v < virtualStages; v++) {
                    for (int mb = group; mb < Math.min(microBatches, group + stages); mb++) out.add(new Unit(mb, stage + v * stages));
                }
            }
            return out;
        }
        for (int mb = 0; mb < microBatches; mb++) {
            for (int v = 0; v < virtualStages; v++) out.add(new Unit(mb, stage + v * stages));
        }
        return out;
    }

    /**
     * The idle share of a stage's time under a balanced pipeline: (p - 1) / (v·m + p - 1)
     * (Narayanan et al. 2021, section 2.2: the bubble is (p - 1)/m of the ideal time, divided by v
     * with interleaving).
     */
    public double bubbleFraction() {
        if (stages <= 1) return 0;
        return (double) (stages - 1) / ((double) virtualStages * microBatches + stages - 1);
    }
}
