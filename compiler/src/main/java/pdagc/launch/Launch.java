package pdagc.launch;

import java.util.Optional;
import pdagc.diag.Diagnostics;
import pdagc.sem.Deployment;

/**
 * {@code --emit launch --for TARGET}: the command that runs a checked plan on another engine, or
 * coded diagnostics (E0701, E0702; warnings W0703, W0704) for what the engine's flags cannot say.
 */
public final class Launch {
    private Launch() {}

    /** The launch script of {@code d} for {@code target}; empty when it has errors (reported to {@code diagnostics}). */
    public static Optional<String> write(Deployment d, Target target, Diagnostics diagnostics) {
        return switch (target) {
            case MEGATRON -> MegatronLaunch.write(d, diagnostics);
            case VLLM, SGLANG -> ServeLaunch.write(d, target, diagnostics);
        };
    }
}
