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
 */
public record Training(int zero, Recompute recompute) {
    public static final Training NONE = new Training(0, Recompute.NONE);

    public enum Recompute {
        NONE, SELECTIVE, FULL;

        public String keyword() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
