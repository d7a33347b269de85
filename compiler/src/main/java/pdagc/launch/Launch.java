package pdagc.launch;

import java.util.Optional;
import java.util.OptionalLong;
import pdagc.driver.MaterializedPlan;
import pdagc.diag.Diagnostics;
import pdagc.sem.Deployment;

/**
 * {@code --emit launch --for TARGET}: the command that runs a checked plan on another engine, or
 * coded diagnostics (E0701, E0702; warnings W0703, W0704) for what the engine's flags cannot say.
 */
public final class Launch {
    private Launch() {}

    /**
     * The launch script of a compiled plan for {@code target}; empty when it has errors (reported
     * to {@code diagnostics}). A serving workload's plan carries its serving figures: a request
     * holds its prompt and every output token, {@code input + output} positions, the context length
     * a serving engine needs. At a request rate the engine's batch limit is the one the simulated
     * run had ({@link pdagc.analysis.ServingSimulation.Engine#inFlight}: what the KV cache holds, or
     * the workload's {@code max_batch}), not the steady state's requests in flight: a limit near
     * those makes the bursts wait (the run's tail). With the workload's {@code chunked_prefill}, the
     * engine chunks prompts within its {@code token_budget}.
     */
    public static Optional<String> write(MaterializedPlan plan, Target target, Diagnostics diagnostics) {
        Deployment d = plan.deployment();
        OptionalLong requestTokens = OptionalLong.empty();
        OptionalLong batchLimit = OptionalLong.empty(), chunkTokens = OptionalLong.empty();
        pdagc.analysis.Serving serving = plan.analysis().serving();
        if (serving != null) requestTokens = OptionalLong.of(serving.input() + serving.output());
        if (serving != null && serving.arrivals() != null && serving.arrivals().simulated() != null
                && serving.arrivals().simulated().engine().inFlight() != Long.MAX_VALUE) {
            batchLimit = OptionalLong.of(serving.arrivals().simulated().engine().inFlight() * serving.arrivals().prefillBatch());
        }
        if (serving != null && serving.arrivals() != null && serving.arrivals().simulated() != null && serving.arrivals().simulated().engine().chunked()) {
            chunkTokens = OptionalLong.of(serving.arrivals().simulated().engine().tokenBudget());
        }
        return switch (target) {
            case MEGATRON -> MegatronLaunch.write(d, requestTokens.isPresent(), diagnostics);
            case VLLM, SGLANG -> ServeLaunch.write(d, target, requestTokens, batchLimit, chunkTokens, diagnostics);
        };
    }
}
