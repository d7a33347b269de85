package pdagc.fidelity;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import pdagc.diag.DiagnosticRenderer;
import pdagc.driver.Compiler;
import pdagc.driver.MaterializedPlan;
import pdagc.source.SourceFile;

/**
 * A maximum-load throughput row: every request queued at once, an engine batching them in flight,
 * requests of exactly {@code input} and {@code output} tokens. The batch is not in the row: it is
 * what the engine's scheduler reaches, which its own rules fix. For {@code trtllm-bench
 * throughput} (TensorRT-LLM's PyTorch backend):
 *
 * <ul>
 *   <li>the KV cache takes the row's {@code kv_fraction} of the memory the weights, the engine's
 *       activations (pdagc's plan of a step of the engine's token budget) and the runtime's own
 *       ({@link #RUNTIME_RESERVE}) leave free
 *       (the benchmark's {@code --kv_cache_free_gpu_mem_fraction} where its source states it), else
 *       {@value #KV_FRACTION}
 *       ({@code KvCacheConfig.free_gpu_memory_fraction}'s default, which the performance overview
 *       names as the default of its runs), and the capacity scheduler's default policy
 *       ({@code GUARANTEED_NO_EVICT}) admits a request only with room for all its
 *       {@code input + output} tokens: the requests in flight are the cache's tokens over that;
 *   <li>at most {@value #MAX_REQUESTS} / pp of them, and per iteration at most as many tokens
 *       as they times {@code 1 + input / output}, rounded as the benchmark rounds them
 *       ({@code tensorrt_llm/bench/build/tuning.py}, {@code finetune_setting}: at least 2,048, at
 *       most 32,768).
 * </ul>
 *
 * <p>In the steady state of uniform requests, while {@code C} requests each produce their
 * {@code output} tokens, {@code C} new prompts are prefilled: the time is the prefill of
 * {@code C · input} tokens, in steps of as many whole prompts as the iteration's token budget holds
 * (one at least), plus {@code output} decode steps of {@code C} sequences at the mean context
 * {@code input + output / 2} (a decode step's time is affine in the context between kinks). Each
 * is a pdagc plan compiled like any other; output tokens per second = {@code C · output} over that
 * time. Mixing prefill and decode tokens in one iteration (reading the weights once for both) is
 * not modelled.
 */
final class MaxLoad {
    private MaxLoad() {}

    static final double KV_FRACTION = 0.90;
    /**
     * What the runtime holds besides the weights and the engine's activations before the KV cache
     * takes its fraction of the free memory, in bytes: TensorRT-LLM's memory guide
     * ({@code docs/source/reference/memory.md}, its FAQ's runtime log of an engine on an 80 GB GPU)
     * shows the device's total as 79.10 GiB (0.90 GiB less than the 80 GiB it holds), then, after the
     * engine (6,695 MiB) and its execution context (1,134.01 MiB), 43.29 MB of runtime buffers and
     * 180.30 MB of decoder buffers, 70.48 GiB available: 0.76 GiB more in use than those name (the
     * CUDA context and libraries' workspaces). The sum of the three, 1.87 GiB, for every GPU.
     */
    static final double RUNTIME_RESERVE = (80 - 79.10 + 79.10 - 70.48 - (6695 + 1134.01) / 1024.0) * (1L << 30);
    static final int MAX_REQUESTS = 4096;
    static final int MAX_TOKENS = 32768;

    /** Whether the row's engine has a scheduler rule here. */
    static boolean knows(Fidelity.Row row) {
        return row.engine().contains("trtllm-bench");
    }

    static Fidelity.Result predict(Fidelity.Row row, String model) {
        if (!row.metric().startsWith("throughput")) return new Fidelity.Result(row, Double.NaN, "a maximum-load row's metric must be a throughput");
        if (row.pp() > 1) return new Fidelity.Result(row, Double.NaN, "maximum-load rows with pipeline stages are not modelled");
        long in = row.input(), out = row.output();
        // One request's KV cache and the weights, per GPU, from a decode plan of one sequence at its last context.
        Compiled probe = compile(row, model, decode(row, 1, in + out), false);
        if (probe.problem != null) return new Fidelity.Result(row, Double.NaN, probe.problem);
        if (row.ep() <= 1 && row.engine().contains("PyTorch") && probe.plan.dag().nodes().stream().anyMatch(n -> n.op() instanceof pdagc.ir.Op.Router)) {
            // trtllm-bench's MoE runs on the PyTorch backend pass --ep and enable attention data parallelism, with an
            // expert-parallel size the row does not state. On the TensorRT backend (`trtllm-bench build --tp_size`, which has no
            // expert-parallel option) TensorRT-LLM's Mapping splits the experts tensor-parallel: moe_tp = tp, moe_ep = 1.
            return new Fidelity.Result(row, Double.NaN, "an MoE maximum-load run whose expert-parallel size (and attention data parallelism) the source does not state");
        }
        pdagc.analysis.Memory.PerGpu m = probe.plan.analysis().largestMemory().memory();
        double capacity = probe.plan.deployment().cluster().gpu().memoryBytes();
        double fraction = row.kvFraction() > 0 ? row.kvFraction() : KV_FRACTION;
        double free = capacity - m.weightBytes() - RUNTIME_RESERVE;
        // The engine's activations: those of a step of its token budget (sized from the requests the weights and the runtime
        // leave room for), which the engine holds before the KV cache takes its share of what is left.
        long budgetBefore = tokenBudget(Math.min(Math.max(1, held(fraction, free, m)), MAX_REQUESTS / row.pp()), in, out);
        // As many whole prompts as the budget holds (one chunk of the budget where a prompt is longer).
        long chunk = Math.min(in, budgetBefore);
        Compiled step = compile(row, model, prefill(row, budgetBefore / chunk, chunk), true);
        if (step.problem != null) return new Fidelity.Result(row, Double.NaN, "a step of " + budgetBefore + " tokens: " + step.problem);
        pdagc.analysis.Memory.PerGpu a = step.plan.analysis().largestMemory().memory();
        free -= a.activationBytes() + a.workspaceBytes();
        long fits = held(fraction, free, m);
        if (fits < 1) return new Fidelity.Result(row, Double.NaN, "no request fits the KV cache the weights and the runtime leave");
        long requests = Math.min(fits, MAX_REQUESTS / row.pp());
        // The engine's token budget is fixed at its build from the requests the cache holds, not from the benchmark's count.
        long budget = tokenBudget(requests, in, out);
        if (row.requests() > 0) requests = Math.min(requests, row.requests());
        Wave full = wave(row, model, requests, budget);
        if (full.problem != null) return new Fidelity.Result(row, Double.NaN, full.problem);
        double seconds = full.seconds;
        long total = requests;
        String waves = "";
        if (row.requests() > 0) {
            // The benchmark's requests, all queued at once, pass in waves of the requests in flight (uniform requests finish
            // together, and the next ones take their places); a last wave of what remains.
            long whole = row.requests() / requests, rest = row.requests() % requests;
            seconds = whole * full.seconds;
            if (rest > 0) {
                Wave last = wave(row, model, rest, budget);
                if (last.problem != null) return new Fidelity.Result(row, Double.NaN, last.problem);
                seconds += last.seconds;
            }
            total = row.requests();
            waves = String.format(Locale.ROOT, "; %d requests: %d wave%s%s", total, whole, whole == 1 ? "" : "s",
                    rest > 0 ? " and one of " + rest : "");
        }
        double tokensPerSecond = total * row.output() / seconds;
        double value = row.metric().equals("throughput_tok_s_per_gpu") ? tokensPerSecond / row.gpus() : tokensPerSecond;
        return Fidelity.Result.noted(row, value, String.format(Locale.ROOT, "maximum load: %d requests in flight, prefills of %d prompts%s", requests,
                full.perPrefill, waves));
    }

    /**
     * The seconds of a wave of {@code requests} requests in flight: the prefill of their prompts, in
     * steps of as many whole prompts as the iteration's token budget {@code budget} holds, then {@code output} decode
     * steps of them all at the mean context.
     */
    private static Wave wave(Fidelity.Row row, String model, long requests, long budget) {
        long in = row.input(), out = row.output();
        long perPrefill = Math.max(1, Math.min(requests, budget / in));
        // A prompt longer than the budget is prefilled in chunks of the budget, each attending to the chunks before it: the
        // same pairs and products as the whole prompt, whose plan stands for them (its time; not its activations, which the
        // chunks bound).
        Compiled prefill = compile(row, model, prefill(row, perPrefill, in), in > budget);
        if (prefill.problem != null) return new Wave(Double.NaN, perPrefill, "prefill of " + perPrefill + " prompts: " + prefill.problem);
        Compiled step = compile(row, model, decode(row, requests, in + out / 2), false);
        if (step.problem != null) return new Wave(Double.NaN, perPrefill, "decode of " + requests + " sequences: " + step.problem);
        double prefillSeconds = (double) requests / perPrefill * prefill.plan.analysis().serving().ttft();
        return new Wave(prefillSeconds + out * step.plan.analysis().step().seconds(), perPrefill, null);
    }

    private record Wave(double seconds, long perPrefill, String problem) {}

    /** The iteration's token budget: {@code max_num_tokens} as {@code finetune_setting} rounds it. */
    static long tokenBudget(long requests, long in, long out) {
        double raw = Math.min(requests * (1 + (double) in / out), MAX_TOKENS);
        if (raw < 4096) return Math.max(2048, 256 * (long) Math.ceil(raw / 256));
        if (raw < 8192) return 512 * (long) Math.ceil(raw / 512);
        return 1024 * (long) Math.ceil(raw / 1024);
    }

    /** The requests whose KV cache ({@code probe}'s, one request's) fits in {@code fraction} of {@code free} bytes. */
    private static long held(double fraction, double free, pdagc.analysis.Memory.PerGpu probe) {
        return (long) Math.floor(fraction * free / probe.kvCacheBytes());
    }

    /** A prefill step of {@code prompts} prompts of {@code tokens} tokens each, as a workload. */
    private static String prefill(Fidelity.Row row, long prompts, long tokens) {
        return String.format(Locale.ROOT, "workload W { batch %d  input %d  output 1  dtype %s%s }", prompts, tokens, row.precision(),
                Fidelity.routing(row));
    }

    private static String decode(Fidelity.Row row, long batch, long context) {
        return String.format(Locale.ROOT, "workload W { batch %d  phase decode  context %d  dtype %s%s }", batch, context, row.precision(),
                Fidelity.routing(row));
    }

    private record Compiled(MaterializedPlan plan, String problem) {}

    /** Compiles the row's deployment with {@code workload}; {@code overCapacity}: a plan over the GPU's memory (E0503 alone) is still timed. */
    private static Compiled compile(Fidelity.Row row, String model, String workload, boolean overCapacity) {
        Compiler c = new Compiler(Set.of());
        List<MaterializedPlan> plans = c.check(SourceFile.of(row.id() + ".pdag", null, Fidelity.deployment(row, model, "", workload)));
        boolean onlyCapacity = overCapacity && !plans.isEmpty() && c.diagnostics().sorted().stream()
                .allMatch(d -> d.severity() != pdagc.diag.Severity.ERROR || d.code().id().equals("E0503"));
        if (c.diagnostics().hasErrors() && !onlyCapacity)
            return new Compiled(null, DiagnosticRenderer.render(c.diagnostics().sorted()).lines().findFirst().orElse("error"));
        if (plans.get(0).analysis().problem() != null) return new Compiled(null, plans.get(0).analysis().problem());
        return new Compiled(plans.get(0), null);
    }
}
