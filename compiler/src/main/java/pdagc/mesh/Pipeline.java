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

    public int chunks() {
        return stages * virtualStages;
    }

    public int stageOf(int chunk) {
        return chunk % stages;
    }

    /** One step of a stage's schedule: a micro-batch through one chunk. */
    public record Unit(int microBatch, int chunk) {}

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
