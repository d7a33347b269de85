package pdagc.analysis;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.LongFunction;
import pdagc.dag.GpuInfo;
import pdagc.dag.PlanDag;

/**
 * The figures a serving benchmark reports for a serving workload ({@code batch} sequences,
 * {@code input} prompt tokens and {@code output} generated tokens each), every one read off the
 * analyses of real plans: the prefill step's plan, and the decode step's plans at the contexts the
 * mean needs.
 *
 * <ul>
 *   <li>time to first token: the prefill step of {@code input} tokens per sequence;
 *   <li>time per output token: the mean of the {@code output - 1} decode steps, at contexts
 *       {@code input + 1} to {@code input + output - 1} (the j-th feeds output token j at position
 *       {@code input + j - 1});
 *   <li>end-to-end latency: TTFT + (output - 1) x TPOT; throughput: batch x output tokens over it,
 *       in all and per GPU;
 *   <li>memory: the larger, GPU by GPU, of the prefill step and the last decode step (the largest
 *       KV cache).
 * </ul>
 *
 * <p><b>The mean is exact.</b> A decode step's figures (its time, and each role's computation,
 * communication and idle time) are piecewise affine in the context: a node's time is the larger of
 * its FLOPs and its bytes over their rates, each affine in the context (the keys and values it
 * reads), and the step is a longest path (or the steady state's larger of two sums) over such
 * times, so it is convex, as each role's computation and communication (sums of node times) are.
 * The mean over the contexts is computed from plans compiled at both ends and inside: a convex
 * function that meets a line at three points is affine between the outer two, so once the figures
 * at three contexts compiled lie on one line, the mean over the contexts between them is the mean
 * of their ends, exactly. Without a kink that is three decode plans (both ends and the middle);
 * where the figures bend, more plans are compiled, where the lines of the pieces on either side
 * meet, until every piece is known to be affine ({@link MeanSearch}). The search stops at
 * {@link #MAX_DECODE_PLANS} plans, and what is left is taken as affine between the contexts compiled
 * ({@code exact} false: an upper bound, the figures being convex). A cost model whose figures are
 * not piecewise affine in the context gives a mean interpolated between the plans compiled, each
 * piece within a millionth of a line, flagged as not exact.
 */
public record Serving(
        String workload,
        long batch,
        long input,
        long output,
        int gpus,
        StepPlan prefill,
        StepPlan decodeFirst,
        StepPlan decodeLast,
        Mean decode,
        List<Long> decodeContexts,
        Arrivals arrivals) {

    /** A fixed batch's figures. */
    public Serving(String workload, long batch, long input, long output, int gpus, StepPlan prefill, StepPlan decodeFirst, StepPlan decodeLast,
            Mean decode, List<Long> decodeContexts) {
        this(workload, batch, input, output, gpus, prefill, decodeFirst, decodeLast, decode, decodeContexts, null);
    }

    /**
     * Requests arriving at {@code rate} per second (a Poisson process, as serving benchmarks send
     * them at a rate), served by an engine that batches at every iteration: each arriving request is
     * prefilled in a step of its own ({@code prefillBatch} requests at a time: one per split of the
     * batch), between the decode iterations, and every request in flight is decoded in each
     * iteration. In the steady state (averages; no tail):
     * <ul>
     *   <li>{@code prefillShare} ρ = rate · prefill step / prefillBatch, the share of the time the
     *       prefills take;
     *   <li>the requests in flight N keep up with the rate: N · (1 - ρ) / T_d(N) = rate · output,
     *       T_d(N) the decode iteration of N requests at their mean context {@code input + output/2}
     *       (a request's iterations run at every context from input to input + output equally often;
     *       the attention's cost is affine in the contexts it sums); {@code inFlight} is N,
     *       {@code decodeBatch} the batch compiled (N rounded up to the split), {@code decodeStepSeconds}
     *       its T_d;
     *   <li>time per output token: T_d / (1 - ρ), the iterations stretched by the prefills between them;
     *   <li>time to first token: the iteration that prefills the request, which decodes the
     *       requests in flight too (engines batch a new request's prefill with the running requests'
     *       decode step: TensorRT-LLM's in-flight batching, vLLM's and SGLang's schedulers), t_p + T_d,
     *       after the wait for the GPU: the rest of the iteration in progress, (1 - ρ) · T_d / 2, and
     *       the prefills queued ahead, ρ · t_p / (2 (1 - ρ)) (Pollaczek-Khinchine for a queue of
     *       deterministic service t_p under Poisson arrivals);
     *   <li>throughput: rate · output tokens per second.
     * </ul>
     * {@code simulated}: the run of the workload's requests simulated one by one from these steps
     * ({@link ServingSimulation}); where it is given, its means are the serving figures ({@link
     * Serving#ttft()}, {@link Serving#tpot()}) and its percentiles the requirements' {@code ttft_p99} and {@code tpot_p99}.
     */
    public record Arrivals(double rate, long prefillBatch, double inFlight, long decodeBatch, double prefillShare, double decodeStepSeconds,
            ServingSimulation.Result simulated) {

        /** The steady state alone, without a simulated run. */
        public Arrivals(double rate, long prefillBatch, double inFlight, long decodeBatch, double prefillShare, double decodeStepSeconds) {
            this(rate, prefillBatch, inFlight, decodeBatch, prefillShare, decodeStepSeconds, null);
        }

        /** The most decode steps tried for the requests in flight, and the largest batch, before the batch is said to keep growing. */
        public static final int MAX_STEPS = 24;
        public static final long MAX_BATCH = 1L << 24;

        /** ρ: the share of the time the prefills of {@code rate} requests per second take, {@code unit} at a time in {@code prefillSeconds}. */
        public static double prefillShare(double rate, double prefillSeconds, long unit) {
            return rate * prefillSeconds / unit;
        }

        /** N: the requests in flight that keep up with {@code rate}, from decode iterations of {@code stepSeconds} (N · (1 - ρ) / T_d = rate · output). */
        public static double inFlight(double rate, long output, double stepSeconds, double share) {
            return rate * output * stepSeconds / (1 - share);
        }

        /** The batch a decode step is compiled at for {@code inFlight} requests: a whole number of splits, at least one per split. */
        public static long batchFor(double inFlight, long unit) {
            return Math.max(unit, (long) Math.ceil(inFlight / unit) * unit);
        }

        /** Time to first token: the iteration that prefills the request (t_p + T_d) after the mean wait for the GPU. */
        public static double ttft(double prefillSeconds, double stepSeconds, double share) {
            return prefillSeconds + stepSeconds + (1 - share) * stepSeconds / 2 + share * prefillSeconds / (2 * (1 - share));
        }
    }

    /** A serving workload at a request rate: its prefill step, its decode step at the mean context (null with one output token). */
    public static Serving atRate(String workload, long prefillBatch, long input, long output, StepPlan prefill, StepPlan decode, Arrivals arrivals) {
        int gpus = prefill.dag().gpus().size();
        if (decode == null) return new Serving(workload, prefillBatch, input, output, gpus, prefill, null, null, null, List.of(), arrivals);
        double tpot = arrivals.simulated() != null ? arrivals.simulated().tpot().mean() : arrivals.decodeStepSeconds() / (1 - arrivals.prefillShare());
        Mean mean = new Mean(tpot, times(decode.dag(), decode.analysis()), false);
        return new Serving(workload, arrivals.decodeBatch(), input, output, gpus, prefill, decode, decode, mean, List.of(decode.context()), arrivals);
    }

    /** The most decode plans compiled for the mean (both ends included). */
    public static final int MAX_DECODE_PLANS = 12;

    /** One step's plan and its analysis; {@code context} the positions its attention reads. */
    public record StepPlan(long context, PlanDag dag, Analysis analysis) {}

    /** One GPU role's time in a step: computation, communication and idle (each the largest over the role's GPUs). */
    public record RoleTimes(int role, List<Integer> gpus, double computeSeconds, double communicationSeconds, double idleSeconds) {}

    /** The mean decode step: its time (TPOT) and each role's split; {@code exact} as the class says. */
    public record Mean(double seconds, List<RoleTimes> roles, boolean exact) {}

    /** The decode steps after the prefill: one per output token but the first. */
    public long decodeSteps() {
        return output - 1;
    }

    /**
     * Time to first token: the prefill step; at a rate, the mean of the simulated run's requests
     * ({@link ServingSimulation}), or without one the steady state's, after the mean wait for the GPU ({@link Arrivals}).
     */
    public double ttft() {
        double step = prefill.analysis().step().seconds();
        if (arrivals == null) return step;
        if (arrivals.simulated() != null) return arrivals.simulated().ttft().mean();
        return Arrivals.ttft(step, arrivals.decodeStepSeconds(), arrivals.prefillShare());
    }

    /**
     * The 99th percentile of the requests' time to first token: the simulated run's at a rate; the
     * figure itself for a fixed batch, whose sequences all have their first token together.
     */
    public double ttftP99() {
        return arrivals != null && arrivals.simulated() != null ? arrivals.simulated().ttft().p99() : ttft();
    }

    /** The 99th percentile of the requests' time per output token, as {@link #ttftP99} says; NaN with one output token. */
    public double tpotP99() {
        if (decode == null) return Double.NaN;
        return arrivals != null && arrivals.simulated() != null ? arrivals.simulated().tpot().p99() : tpot();
    }

    /** Time per output token, the mean over the decode steps; NaN with one output token (no decode step). */
    public double tpot() {
        return decode == null ? Double.NaN : decode.seconds();
    }

    /** TTFT + (output - 1) x TPOT. */
    public double endToEnd() {
        return decode == null ? ttft() : ttft() + decodeSteps() * decode.seconds();
    }

    /** Tokens generated per second in all: batch x output over the end-to-end latency; at a rate, rate x output. */
    public double throughput() {
        if (arrivals != null) return arrivals.rate() * output;
        return batch * (double) output / endToEnd();
    }

    public double throughputPerGpu() {
        return throughput() / gpus;
    }

    /** The step whose plan holds the most memory on one GPU: the last decode step unless the prefill's is larger. */
    public StepPlan peakStep() {
        if (decodeLast == null) return prefill;
        return prefill.analysis().largestMemory().memory().total() > decodeLast.analysis().largestMemory().memory().total() ? prefill : decodeLast;
    }

    /** The largest memory of a GPU over the steps. */
    public Analysis.GpuFigures peakMemory() {
        return peakStep().analysis().largestMemory();
    }

    /** Each role's time in a step, from its analysis. */
    public static List<RoleTimes> times(PlanDag dag, Analysis a) {
        List<RoleTimes> out = new ArrayList<>();
        for (PlanDag.Role r : roles(dag)) {
            Analysis.GpuFigures f = a.role(r);
            out.add(new RoleTimes(r.id(), r.gpus(), f.computeSeconds(), f.communicationSeconds(), f.idleSeconds()));
        }
        return List.copyOf(out);
    }

    /** The plan's roles, or one per GPU where it has none. */
    static List<PlanDag.Role> roles(PlanDag dag) {
        if (!dag.roles().isEmpty()) return dag.roles();
        List<PlanDag.Role> single = new ArrayList<>();
        for (GpuInfo g : dag.gpus()) single.add(new PlanDag.Role(single.size(), List.of(g.id())));
        return single;
    }

    /**
     * The serving figures: {@code prefill} the prefill step's plan; {@code decodeAt} compiles the
     * decode step at a context (empty when it does not compile, which ends the search: the
     * diagnostics say why). The plans at the first and last contexts are kept; the others only give
     * their figures. Empty when a decode plan does not compile.
     */
    public static Optional<Serving> of(String workload, long batch, long input, long output, StepPlan prefill,
            LongFunction<Optional<StepPlan>> decodeAt) {
        int gpus = prefill.dag().gpus().size();
        if (output <= 1) return Optional.of(new Serving(workload, batch, input, output, gpus, prefill, null, null, null, List.of()));
        long first = input + 1, last = input + output - 1;
        Optional<StepPlan> firstPlan = decodeAt.apply(first);
        if (firstPlan.isEmpty()) return Optional.empty();
        Optional<StepPlan> lastPlan = first == last ? firstPlan : decodeAt.apply(last);
        if (lastPlan.isEmpty()) return Optional.empty();
        List<PlanDag.Role> roles = roles(lastPlan.get().dag());
        MeanSearch search = new MeanSearch(c -> decodeAt.apply(c).map(p -> figures(roles, p.analysis())));
        search.values.put(first, figures(roles, firstPlan.get().analysis()));
        search.values.put(last, figures(roles, lastPlan.get().analysis()));
        Optional<double[]> sum = search.sum(first, last);
        if (sum.isEmpty()) return Optional.empty();
        double n = last - first + 1;
        double[] mean = sum.get();
        for (int k = 0; k < mean.length; k++) mean[k] /= n;
        List<RoleTimes> times = new ArrayList<>();
        for (int r = 0; r < roles.size(); r++) {
            times.add(new RoleTimes(roles.get(r).id(), roles.get(r).gpus(), mean[1 + 3 * r], mean[2 + 3 * r], mean[3 + 3 * r]));
        }
        Mean decode = new Mean(mean[0], List.copyOf(times), search.exact);
        return Optional.of(new Serving(workload, batch, input, output, gpus, prefill, firstPlan.get(), lastPlan.get(), decode,
                List.copyOf(search.values.keySet())));
    }

    /** A decode step's figures as a vector: its time, then each role's computation, communication and idle time. */
    private static double[] figures(List<PlanDag.Role> roles, Analysis a) {
        double[] v = new double[1 + 3 * roles.size()];
        v[0] = a.step().seconds();
        for (int r = 0; r < roles.size(); r++) {
            Analysis.GpuFigures f = a.role(roles.get(r));
            v[1 + 3 * r] = f.computeSeconds();
            v[2 + 3 * r] = f.communicationSeconds();
            v[3 + 3 * r] = f.idleSeconds();
        }
        return v;
    }

    /**
     * Sums figures over every whole context of an interval from their values at some contexts (see
     * the class comment), compiling plans at more contexts until every figure is known to be affine
     * between each two neighbouring contexts compiled. That is known of two neighbours when they
     * are adjacent integers, or when the figures at them and at the next context compiled on either
     * side lie on one line: a convex function that meets a line at three points is affine between
     * the outer two. The next context is where the lines of the neighbouring pieces meet (a kink of
     * a piecewise-affine figure), else the middle of the interval.
     *
     * <p>"On one line" is within {@link #EXACT} of the figure (rounding). A cost model whose
     * decode figures curve in the context (a table interpolated on a log scale, say) never puts
     * three on a line; for it, a piece counts as affine when the figures are within
     * {@link #CLOSE} of the line, and the sum is flagged as not exact.
     */
    static final class MeanSearch {
        /** Relative distance from the line that is rounding: the figures are affine. */
        static final double EXACT = 1e-9;
        /** Relative distance from the line under which a piece is taken as affine, without proof. */
        static final double CLOSE = 1e-6;

        private final LongFunction<Optional<double[]>> at;
        final TreeMap<Long, double[]> values = new TreeMap<>();
        boolean exact = true;

        MeanSearch(LongFunction<Optional<double[]>> at) {
            this.at = at;
        }

        /** The sum over contexts a..b (both included) of the figures; their values at a and b are known. Empty when a plan does not compile. */
        Optional<double[]> sum(long a, long b) {
            while (true) {
                List<Long> xs = new ArrayList<>(values.subMap(a, true, b, true).keySet());
                int open = -1;
                for (int i = 0; i + 1 < xs.size() && open < 0; i++) if (!affine(xs, i, CLOSE)) open = i;
                if (open < 0) break;
                if (values.size() >= MAX_DECODE_PLANS) break;
                long next = next(xs, open);
                Optional<double[]> f = at.apply(next);
                if (f.isEmpty()) return Optional.empty();
                values.put(next, f.get());
            }
            List<Long> xs = new ArrayList<>(values.subMap(a, true, b, true).keySet());
            double[] sum = values.get(a).clone();
            for (int i = 0; i + 1 < xs.size(); i++) {
                if (!affine(xs, i, EXACT)) exact = false;
                long x = xs.get(i), y = xs.get(i + 1);
                double[] fx = values.get(x), fy = values.get(y);
                // The contexts x+1..y of a piece affine from x to y.
                for (int k = 0; k < sum.length; k++) sum[k] += (y - x) * (fx[k] + fy[k]) / 2 + (fy[k] - fx[k]) / 2;
            }
            return Optional.of(sum);
        }

        /** Whether every figure is affine (within {@code tolerance}) between the i-th and (i+1)-th contexts compiled. */
        private boolean affine(List<Long> xs, int i, double tolerance) {
            long x = xs.get(i), y = xs.get(i + 1);
            if (y - x == 1) return true;
            double[] fx = values.get(x), fy = values.get(y);
            double[] left = i > 0 ? values.get(xs.get(i - 1)) : null;
            double[] right = i + 2 < xs.size() ? values.get(xs.get(i + 2)) : null;
            // Every figure is a time within the step: its rounding is the step's (an idle time of
            // 1e-17 s is a difference of two times of 1e-2 s), so distances are measured against it.
            double scale = Math.max(Math.abs(fx[0]), Math.abs(fy[0]));
            for (int k = 0; k < fx.length; k++) {
                boolean l = left != null && onLine(xs.get(i - 1), left[k], y, fy[k], x, fx[k], tolerance, scale);
                boolean r = right != null && onLine(x, fx[k], xs.get(i + 2), right[k], y, fy[k], tolerance, scale);
                if (!l && !r) return false;
            }
            return true;
        }

        /** The next context inside the i-th interval: where the neighbouring pieces' lines meet, or its middle. */
        private long next(List<Long> xs, int i) {
            long x = xs.get(i), y = xs.get(i + 1);
            if (i > 0 && i + 2 < xs.size()) {
                long x0 = xs.get(i - 1), y1 = xs.get(i + 2);
                double[] f0 = values.get(x0), fx = values.get(x), fy = values.get(y), f1 = values.get(y1);
                double sl = (fx[0] - f0[0]) / (x - x0), sr = (f1[0] - fy[0]) / (y1 - y);
                if (sr != sl) {
                    double t = (fy[0] - sr * y - fx[0] + sl * x) / (sl - sr);
                    for (double c : new double[] {Math.floor(t), Math.ceil(t)}) {
                        if (c > x && c < y && !values.containsKey((long) c)) return (long) c;
                    }
                }
            }
            return x + (y - x) / 2;
        }

        /** Whether (m, fm) lies on the line through (a, fa) and (b, fb), within {@code tolerance} of the figure or of {@code scale}. */
        static boolean onLine(long a, double fa, long b, double fb, long m, double fm, double tolerance, double scale) {
            double line = fa + (fb - fa) * ((double) (m - a) / (b - a));
            return Math.abs(fm - line) <= tolerance * Math.max(scale, Math.max(Math.abs(fm), Math.abs(line)));
        }
    }
}
