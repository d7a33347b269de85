package pdagc.sem;

import java.util.Locale;

/**
 * A strategy's training options: the ZeRO stage (0: every data-parallel rank holds all model
 * states; 1: optimizer states sharded over the data-parallel ranks, gradients reduce-scattered to
 * their owner and the updated weights all-gathered, as Megatron's distributed optimizer does; 2:
 * also the gradient buffers sharded; 3: also the parameters, gathered before each use, as PyTorch
 * FSDP's FULL_SHARD does) and activation recomputation (none; selective: the attention core,
 * after Korthikanti et al.; full: each layer's forward from its input). They apply to a training
 * workload only.
 *
 * <p>{@code overlapGradReduce} (Megatron's {@code --overlap-grad-reduce}) runs the weight
 * gradients' reduction over the data-parallel axes on a second stream of each GPU, so that it
 * overlaps the rest of the backward pass. Off by default, as in Megatron.
 */
public record Training(int zero, Recompute recompute, boolean overlapGradReduce) {
    public static final Training NONE = new Training(0, Recompute.NONE);

    /** Without overlap: one stream per GPU. */
    public Training(int zero, Recompute recompute) {
        this(zero, recompute, false);
    }

    public enum Recompute {
        NONE, SELECTIVE, FULL;

        public String keyword() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
