package pdagc.analysis;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.LongToDoubleFunction;

/**
 * Requests arriving at a rate, served iteration by iteration, simulated request by request: what a
 * serving benchmark that sends {@code requests} requests at a rate measures (its means and its
 * percentiles), where {@link Serving.Arrivals} gives the steady state's averages.
 *
 * <p>The requests arrive as a Poisson process ({@code vllm bench serve --request-rate} and
 * TensorRT-LLM's benchmarks send them so), drawn from a fixed seed: the figures are the same on
 * every run. The engine works in iterations, as engines that batch at every iteration do
 * (TensorRT-LLM's in-flight batching, vLLM's and SGLang's schedulers): an iteration decodes one token
 * of every request in flight and prefills the prompts of the requests that arrived before it began
 * and that it admits, at most {@link Engine#promptsPerIteration} of them (the iteration's token
 * budget in whole prompts) and only while the requests in flight stay within
 * {@link Engine#inFlight} (the KV cache reserved for a request's whole length, as TensorRT-LLM's
 * default capacity scheduler, {@code GUARANTEED_NO_EVICT}, admits). An iteration takes the prefill
 * of its prompts plus the decode step of its requests in flight ({@link StepTimes}); a prompt's
 * request has its first token at the end of the iteration that prefills it, and one more at the
 * end of each iteration after it, until its {@code output} tokens are made.
 *
 * <p>Per request: time to first token (from its arrival), time per output token (from its first
 * token to its last, over the {@code output - 1} tokens between: every request has as many, so the
 * mean of the requests' TPOT is the mean inter-token latency over all tokens), end-to-end latency
 * = TTFT + (output - 1) x TPOT. The means are over every request the run sends, its start (an idle
 * engine) and its end (the last requests draining) included, as a benchmark's are.
 */
public final class ServingSimulation {
    private ServingSimulation() {}

    /** The arrivals' seed: fixed, so a plan's figures do not change between runs. */
    public static final long SEED = 0x5EED_2026L;

    /** Requests a rate workload sends unless it says ({@code requests}), as {@link #mostRequests} allows. */
    public static final long DEFAULT_REQUESTS = 1000;

    /** The output tokens a run makes at most, in all (the simulation's work grows with them: a few seconds at most). */
    public static final long TOKEN_STEPS = 20_000_000;

    /** The most requests of {@code output} tokens a run sends (more is E0206): {@link #TOKEN_STEPS} tokens, one request at least. */
    public static long mostRequests(long output) {
        return Math.max(1, TOKEN_STEPS / output);
    }

    /**
     * Tokens an iteration prefills at most: the engines' default token budget per iteration
     * (TensorRT-LLM's {@code max_num_tokens}, 8192 in its {@code BuildConfig}; vLLM's
     * {@code max_num_batched_tokens} for its online server, 8192 on GPUs of 70 GB or more but the
     * A100, 2048 on the others: {@code vllm/engine/arg_utils.py}), a whole prompt at least.
     */
    public static final long TOKEN_BUDGET = 8192;

    /** The times of an iteration's parts, in seconds, for one split of the batch. */
    public interface StepTimes {
        /** The prefill of {@code prompts} prompts (at least 1). */
        double prefill(long prompts);

        /** The decode step of {@code sequences} requests in flight (at least 1), at their mean context. */
        double decode(long sequences);

        /**
         * Step times known at powers of two of prompts and of requests ({@code prefill} and
         * {@code decode} asked there only) and linear between ({@link #onPowersOfTwo}).
         */
        static StepTimes onPowersOfTwo(LongToDoubleFunction prefill, LongToDoubleFunction decode) {
            LongToDoubleFunction p = ServingSimulation.onPowersOfTwo(prefill), d = ServingSimulation.onPowersOfTwo(decode);
            return new StepTimes() {
                public double prefill(long prompts) {
                    return p.applyAsDouble(prompts);
                }

                public double decode(long sequences) {
                    return d.applyAsDouble(sequences);
                }
            };
        }
    }

    /**
     * The engine's limits: whole prompts prefilled per iteration and requests in flight (both at
     * least 1); with {@code chunked} prefill (vLLM's and SGLang's scheduling, TensorRT-LLM's
     * {@code enable_chunked_context}) an iteration instead takes {@code tokenBudget} tokens at most,
     * one for each request decoding first, the rest from the prompts in order, a prompt split over
     * iterations where it does not fit.
     */
    public record Engine(long promptsPerIteration, long inFlight, long tokenBudget, boolean chunked) {
        public Engine {
            if (promptsPerIteration < 1 || inFlight < 1) throw new IllegalArgumentException("an engine admits one request at least");
            if (chunked && tokenBudget < 1) throw new IllegalArgumentException("chunked prefill needs a token budget");
        }

        /** Whole prompts, {@code promptsPerIteration} at most an iteration. */
        public Engine(long promptsPerIteration, long inFlight) {
            this(promptsPerIteration, inFlight, 0, false);
        }

        /** The prompts of {@code input} tokens that {@link #TOKEN_BUDGET} holds (one at least), and {@code inFlight}. */
        public static Engine of(long input, long inFlight) {
            return of(input, TOKEN_BUDGET, inFlight, 0, false);
        }

        /**
         * The prompts of {@code input} tokens that {@code tokenBudget} holds (one at least), or with
         * {@code chunked} prefill the budget itself; the requests in flight: {@code admitted} (what the
         * KV cache holds), at most {@code maxBatch} when it is given (not 0).
         */
        public static Engine of(long input, long tokenBudget, long admitted, long maxBatch, boolean chunked) {
            return new Engine(Math.max(1, tokenBudget / input), maxBatch > 0 ? Math.min(admitted, maxBatch) : admitted, tokenBudget, chunked);
        }
    }

    /**
     * The requests in flight one split of the batch admits: as many as the KV cache holds at their
     * whole length ({@code input + output} positions; a request is admitted only with room for all
     * of it, as TensorRT-LLM's default capacity scheduler, {@code GUARANTEED_NO_EVICT}, admits), in
     * the {@code capacity} a GPU has beside its {@code otherBytes} (weights, activations,
     * workspace), from a decode step of {@code perSplit} requests a split whose KV cache at their
     * mean context ({@code input + output / 2}) is {@code kvBytes}. One at least; unlimited without a cache.
     */
    public static long admitted(double capacity, double otherBytes, double kvBytes, long perSplit, long input, long output) {
        if (!(kvBytes > 0)) return Long.MAX_VALUE;
        double perRequest = kvBytes / perSplit * (input + output) / (input + output / 2);
        return Math.max(1, (long) Math.floor((capacity - otherBytes) / perRequest));
    }

    /** Mean and percentiles (50th, 90th, 99th) of one figure over the requests. */
    public record Spread(double mean, double p50, double p90, double p99) {
        static Spread of(double[] values) {
            double[] v = values.clone();
            Arrays.sort(v);
            double sum = 0;
            for (double x : v) sum += x;
            return new Spread(sum / v.length, rank(v, 0.50), rank(v, 0.90), rank(v, 0.99));
        }

        /** The nearest-rank percentile: the smallest value that at least {@code q} of the values do not exceed. */
        private static double rank(double[] sorted, double q) {
            int i = (int) Math.ceil(q * sorted.length) - 1;
            return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
        }
    }

    /**
     * A run's figures: TTFT, TPOT (NaN with one output token) and end-to-end latency over its
     * {@code requests}; the requests in flight (in the engine's iterations, not waiting), averaged
     * over the run and at most; the run's length from the first arrival to the last token; the
     * engine's limits it ran under.
     */
    public record Result(long requests, Spread ttft, Spread tpot, Spread endToEnd, double meanInFlight, long mostInFlight, double seconds,
            Engine engine) {}

    /**
     * Simulates {@code requests} requests of {@code input} prompt and {@code output} generated tokens
     * arriving at {@code rate} per second on one split of the batch.
     */
    public static Result run(double rate, long requests, long input, long output, Engine engine, StepTimes steps) {
        if (!(rate > 0) || requests < 1 || input < 1 || output < 1) throw new IllegalArgumentException("a run needs a rate, requests and lengths");
        int n = Math.toIntExact(requests);
        double[] arrival = new double[n];
        SplittableRandom random = new SplittableRandom(SEED);
        double t = 0;
        for (int i = 0; i < n; i++) {
            t += -Math.log(1 - random.nextDouble()) / rate;
            arrival[i] = t;
        }
        double[] ttft = new double[n], tpot = new double[n], e2e = new double[n];
        double[] first = new double[n];
        long[] made = new long[n], prefilled = new long[n];
        ArrayDeque<Integer> running = new ArrayDeque<>(), prefilling = new ArrayDeque<>();
        double now = arrival[0], inFlightTime = 0;
        long most = 0;
        int next = 0, done = 0;
        while (done < n) {
            if (running.isEmpty() && prefilling.isEmpty() && next < n && arrival[next] > now) now = arrival[next];
            int decoding = running.size();
            // The prompt tokens this iteration takes: whole prompts, or with chunked prefill what the decodes leave of the budget.
            long room = engine.chunked() ? Math.max(0, engine.tokenBudget() - decoding) : engine.promptsPerIteration() * input;
            long tokens = 0;
            for (int r : prefilling) {
                long take = Math.min(input - prefilled[r], room - tokens);
                if (take <= 0) break;
                prefilled[r] += take;
                tokens += take;
            }
            while (next < n && arrival[next] <= now && running.size() + prefilling.size() < engine.inFlight()
                    && (engine.chunked() ? room > tokens : room - tokens >= input)) {
                long take = Math.min(input, room - tokens);
                prefilled[next] = take;
                tokens += take;
                prefilling.add(next++);
            }
            int prefills = prefilling.size();
            double step = (tokens > 0 ? prefillTokens(steps, tokens, input) : 0) + (decoding > 0 ? steps.decode(decoding) : 0);
            if (!(step > 0) || Double.isInfinite(step)) throw new IllegalStateException("an iteration of " + tokens + " prompt tokens and " + decoding + " requests takes " + step + " s");
            // Iterations that admit nothing repeat alike until the first request in flight (the oldest: they all advance
            // together) finishes or the next arrival can be admitted: they are taken together.
            long repeat = 1;
            if (prefills == 0) {
                repeat = output - made[running.peek()];
                boolean admits = next < n && running.size() < engine.inFlight() && (engine.chunked() ? room > 0 : room >= input);
                if (admits) repeat = Math.min(repeat, Math.max(1, (long) Math.ceil((arrival[next] - now) / step)));
            }
            inFlightTime += (decoding + prefills) * step * repeat;
            most = Math.max(most, decoding + prefills);
            now += step * repeat;
            for (int k = running.size(); k > 0; k--) {
                int r = running.poll();
                made[r] += repeat;
                if (made[r] == output) {
                    finish(r, now, output, arrival, first, ttft, tpot, e2e);
                    done++;
                } else {
                    running.add(r);
                }
            }
            // A prompt whose last tokens this iteration took gives its request's first token.
            while (!prefilling.isEmpty() && prefilled[prefilling.peek()] == input) {
                int r = prefilling.poll();
                first[r] = now;
                ttft[r] = now - arrival[r];
                made[r] = 1;
                if (output == 1) {
                    finish(r, now, output, arrival, first, ttft, tpot, e2e);
                    done++;
                } else {
                    running.add(r);
                }
            }
        }
        return new Result(requests, Spread.of(ttft), output > 1 ? Spread.of(tpot) : new Spread(Double.NaN, Double.NaN, Double.NaN, Double.NaN),
                Spread.of(e2e), inFlightTime / (now - arrival[0]), most, now - arrival[0], engine);
    }

    /**
     * The prefill of {@code tokens} prompt tokens of prompts of {@code input}: {@link StepTimes#prefill}
     * of whole prompts, linear between them, and below one prompt its share of one (a chunk).
     */
    static double prefillTokens(StepTimes steps, long tokens, long input) {
        if (tokens % input == 0) return steps.prefill(tokens / input);
        double prompts = (double) tokens / input;
        long low = (long) Math.floor(prompts);
        if (low == 0) return steps.prefill(1) * prompts;
        double a = steps.prefill(low), b = steps.prefill(low + 1);
        return a + (b - a) * (prompts - low);
    }

    private static void finish(int r, double now, long output, double[] arrival, double[] first, double[] ttft, double[] tpot, double[] e2e) {
        tpot[r] = output > 1 ? (now - first[r]) / (output - 1) : Double.NaN;
        e2e[r] = now - arrival[r];
    }

    /**
     * A step time known exactly at 1, 2, 4, 8, ... and linear between them: {@code exact} is asked
     * only at powers of two (each once), so a simulation needs a plan for each power of two up to
     * the largest count it meets, and every caller that gives the same times there gets the same
     * figures.
     */
    public static LongToDoubleFunction onPowersOfTwo(LongToDoubleFunction exact) {
        TreeMap<Long, Double> known = new TreeMap<>();
        LongToDoubleFunction at = p -> known.computeIfAbsent(p, exact::applyAsDouble);
        return count -> {
            if (count < 1) throw new IllegalArgumentException("a step of " + count);
            long low = Long.highestOneBit(count);
            if (low == count) return at.applyAsDouble(count);
            long high = low << 1;
            double a = at.applyAsDouble(low), b = at.applyAsDouble(high);
            return a + (b - a) * (count - low) / (double) (high - low);
        };
    }
}
