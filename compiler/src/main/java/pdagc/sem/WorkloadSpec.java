package pdagc.sem;

import java.util.Map;
import pdagc.ir.DType;
import pdagc.source.Span;

/**
 * What runs: {@code batch} sequences; prefill runs {@code seq} tokens each, decode runs one new
 * token each against a KV cache of {@code context} tokens (the new one included: it sits at
 * position {@code context - 1}). {@code execution}: how the engine runs the kernels (fusion, CUDA
 * graphs), for the cost model.
 *
 * <p>A serving workload ({@code serving} not null: {@code input} and {@code output} lengths) is a
 * request's whole life: a prefill step of {@code input} tokens per sequence, which gives the first
 * output token, then {@code output - 1} decode steps, the j-th (from 1) feeding output token j at
 * position {@code input + j - 1}, so at context {@code input + j}. It is never lowered itself: the
 * driver compiles the plans of its steps ({@link #prefillStep()}, {@link #decodeStep(long)}). As a
 * workload its fields read as its prefill step's ({@code phase} prefill, {@code seq} and
 * {@code context} the input), so that the strategy checks of the prefill step apply to it. With a
 * request {@code rate} instead of a fixed batch, {@code batch} is 1 and the driver chooses the
 * steps' batches (the data-parallel split's multiples) from the rate.
 *
 * <p>{@code dtype} is the element type of the whole model but its parts that say otherwise:
 * {@code expertDtype} that of the expert products ({@code dtype fp8 { experts fp16 }}), by default
 * {@code dtype}, and {@code vocabularyDtype} that of the embedding and head blocks
 * ({@code dtype fp8 { vocabulary fp8 }}), by default {@link pdagc.ir.Precision#vocabularyDefault}
 * ({@link #precision()}).
 */
public record WorkloadSpec(
        String name, long batch, long seq, Phase phase, long context, DType dtype, Execution execution, Map<String, Span> spans, Span span,
        Serving serving, DType expertDtype, DType vocabularyDtype) {

    public WorkloadSpec {
        if (expertDtype == null) expertDtype = dtype;
        if (vocabularyDtype == null) vocabularyDtype = pdagc.ir.Precision.vocabularyDefault(dtype);
    }

    /** A workload whose parts are in the types {@code precision} gives (its {@code dtype} the workload's). */
    public WorkloadSpec(String name, long batch, long seq, Phase phase, long context, Execution execution, Map<String, Span> spans, Span span,
            Serving serving, pdagc.ir.Precision precision) {
        this(name, batch, seq, phase, context, precision.dtype(), execution, spans, span, serving, precision.experts(), precision.vocabulary());
    }

    /**
     * A serving workload's lengths per sequence: the prompt ({@code input}) and the tokens generated
     * ({@code output}); {@code rate}: requests arriving per second (0: a fixed batch runs instead);
     * {@code requests}: how many arrive at the rate, the run that {@link
     * pdagc.analysis.ServingSimulation} simulates (0 with a fixed batch); the engine's limits in that
     * run: {@code maxBatch} requests in flight per replica (0: as many as the KV cache holds) and
     * {@code tokenBudget} tokens an iteration prefills at most, and whether it splits a prompt over
     * iterations ({@code chunkedPrefill}).
     */
    public record Serving(long input, long output, double rate, long requests, long maxBatch, long tokenBudget, boolean chunkedPrefill) {

        /** A fixed batch's lengths. */
        public Serving(long input, long output) {
            this(input, output, 0, 0, 0, pdagc.analysis.ServingSimulation.TOKEN_BUDGET, false);
        }

        /** The requests each of {@code splits} splits of the batch sends in the simulated run: its share, rounded up, one at least. */
        public long requestsPerSplit(long splits) {
            return Math.max(1, (requests + splits - 1) / splits);
        }

        /** Whether requests arrive at a rate (the batch follows from it) rather than as one fixed batch. */
        public boolean hasRate() {
            return rate > 0;
        }

        /** The mean context of a request's decode steps: {@code input + output / 2}. */
        public long meanContext() {
            return input + output / 2;
        }

        /** The decode steps after the prefill: one per output token but the first. */
        public long decodeSteps() {
            return output - 1;
        }

        /** The context of the first decode step (output token 1 fed at position {@code input}). */
        public long firstContext() {
            return input + 1;
        }

        /** The context of the last decode step, the largest KV cache of the request. */
        public long lastContext() {
            return input + output - 1;
        }
    }

    /** A workload of one step (prefill or decode), every part in {@code dtype}. */
    public WorkloadSpec(String name, long batch, long seq, Phase phase, long context, DType dtype, Execution execution, Map<String, Span> spans,
            Span span) {
        this(name, batch, seq, phase, context, dtype, execution, spans, span, null, dtype, null);
    }

    /** The element types of the plan's parts: {@code dtype}, and the experts' {@code expertDtype}. */
    public pdagc.ir.Precision precision() {
        return new pdagc.ir.Precision(dtype, expertDtype, vocabularyDtype);
    }

    /** Tokens per sequence that one forward step processes. */
    public long stepTokens() {
        return phase == Phase.DECODE ? 1 : seq;
    }

    public boolean isServing() {
        return serving != null;
    }

    /** Whether this is a serving workload whose requests arrive at a rate (its batch follows from the rate). */
    public boolean atRate() {
        return serving != null && serving.hasRate();
    }

    /** A serving workload's prefill step: {@code input} tokens per sequence. */
    public WorkloadSpec prefillStep() {
        return prefillStep(batch);
    }

    /** A serving workload's prefill step of {@code sequences} prompts of {@code input} tokens. */
    public WorkloadSpec prefillStep(long sequences) {
        return new WorkloadSpec(name, sequences, serving.input(), Phase.PREFILL, serving.input(), dtype, execution.forPhase(Phase.PREFILL), spans, span,
                null, expertDtype, vocabularyDtype);
    }

    /** A serving workload's decode step at {@code context}: one token per sequence against {@code context} positions. */
    public WorkloadSpec decodeStep(long context) {
        return decodeStep(context, batch);
    }

    /** A decode step of {@code sequences} sequences at {@code context}. */
    public WorkloadSpec decodeStep(long context, long sequences) {
        return new WorkloadSpec(name, sequences, 1, Phase.DECODE, context, dtype, execution.forPhase(Phase.DECODE), spans, span, null, expertDtype, vocabularyDtype);
    }

    /** Where a property was written, else the workload's declaration. */
    public Span spanOf(String property) {
        return spans.getOrDefault(property, span);
    }
}
