package pdagc.search;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import pdagc.diag.Diagnostic;
import pdagc.diag.Diagnostics;
import pdagc.front.Elaborator;
import pdagc.mesh.Mesh;
import pdagc.mesh.MeshAxes;
import pdagc.mesh.Pipeline;
import pdagc.sem.Phase;
import pdagc.sem.Requirement;
import pdagc.sem.SearchSpec;
import pdagc.sem.Training;
import pdagc.sem.WorkloadSpec;

/**
 * The strategy search: enumerates the space ({@link Space}), prunes each candidate by a lower
 * bound of its memory (weights and model states), rejects what {@code check} would reject (the
 * strategy check of the front end, run on the candidate's deployment), estimates the rest in
 * closed form from the compiled per-GPU program of one layer ({@link Profile}, shared by every
 * candidate that runs it), checks the requirements on the estimates, and ranks. Candidates are
 * taken in chunks evaluated on all cores, then merged in enumeration order, so the result and the
 * streamed lines do not depend on the number of threads.
 */
public final class Search {
    /** Candidates per chunk: evaluated in parallel, merged in order. */
    static final int CHUNK = 4096;

    /** One candidate's estimated figures. Times in seconds, memory in bytes (the largest GPU). */
    public record Figures(double stepSeconds, double ttft, double tpot, double tokensPerSecondPerGpu, long memoryBytes, long weightBytes,
            long activationBytes, long modelStateBytes, double bubble, double ttftP99, double tpotP99) {

        /** Figures every request shares (a fixed batch, one step): the 99th percentiles are the figures. */
        public Figures(double stepSeconds, double ttft, double tpot, double tokensPerSecondPerGpu, long memoryBytes, long weightBytes,
                long activationBytes, long modelStateBytes, double bubble) {
            this(stepSeconds, ttft, tpot, tokensPerSecondPerGpu, memoryBytes, weightBytes, activationBytes, modelStateBytes, bubble, ttft, tpot);
        }
    }

    /** A candidate that passed every check, with its figures. */
    public record Result(Candidate candidate, Figures figures) {}

    /** Progress, for a bar: candidates done of all, per chunk. */
    public interface Progress {
        void update(long done, long total, long feasible, int profiles);
    }

    /** What a search found: feasible candidates ranked, rejections by reason, counts and timings. */
    public record Outcome(SearchSpec spec, List<Result> ranked, Map<String, Long> rejected, Map<String, String> examples, long candidates,
            long evaluated, int profiles, double profileSeconds, double seconds, double cpuSeconds) {

        /** The Pareto front of memory against the objective's time (or throughput), best objective first. */
        public List<Result> pareto() {
            List<Result> byMemory = new ArrayList<>(ranked);
            byMemory.sort(Comparator.comparingLong((Result r) -> r.figures().memoryBytes()).thenComparing(Search.order(spec.objective())));
            List<Result> front = new ArrayList<>();
            double best = Double.POSITIVE_INFINITY;
            for (Result r : byMemory) {
                double v = Search.cost(spec.objective(), r.figures());
                if (v < best) {
                    front.add(r);
                    best = v;
                }
            }
            front.sort(Search.order(spec.objective()));
            return front;
        }
    }

    private final SearchSpec spec;
    private final Profile.Cache profiles;
    private final long totalParams;
    private final boolean training;

    public Search(SearchSpec spec, long totalParams) {
        this.spec = spec;
        this.profiles = new Profile.Cache(spec);
        this.totalParams = totalParams;
        this.training = spec.workload().phase() == Phase.TRAIN;
    }

    /** Runs the search; {@code stream} gets each feasible candidate in enumeration order as its chunk ends (may be null). */
    public Outcome run(Progress progress, java.util.function.Consumer<Result> stream) {
        long t0 = System.nanoTime();
        double cpu0 = cpuSeconds();
        Space space = new Space(spec);
        long total = space.count();
        List<Result> feasible = new ArrayList<>();
        Map<String, Long> rejected = new TreeMap<>();
        Map<String, String> examples = new TreeMap<>();
        AtomicLong done = new AtomicLong();
        long evaluated = 0;
        java.util.Iterator<Candidate> it = space.iterator();
        List<Candidate> chunk = new ArrayList<>(CHUNK);
        while (it.hasNext() || !chunk.isEmpty()) {
            while (it.hasNext() && chunk.size() < CHUNK) chunk.add(it.next());
            // Legality first; then the layer programs this chunk needs and no chunk compiled yet, one
            // task each on all cores; then the estimates, which only read them.
            Object[] checked = chunk.parallelStream().map(this::check).toArray();
            if (training) {
                // Training candidates of several sequences per micro-batch are first bounded by the
                // layer program of one sequence: a layer's stored activations scale with its tokens.
                java.util.Set<Profile.Key> ones = new java.util.LinkedHashSet<>();
                for (Object o : checked) if (o instanceof Candidate c && c.microBatch() > 1) ones.add(key(spec, c, c.workload(spec), 1));
                ones.removeIf(profiles::has);
                new ArrayList<>(ones).parallelStream().forEach(profiles::get);
                checked = java.util.Arrays.stream(checked).parallel().map(o -> o instanceof Candidate c && c.microBatch() > 1 ? bySequence(c) : o).toArray();
            }
            java.util.Set<Profile.Key> needed = new java.util.LinkedHashSet<>();
            for (Object o : checked) if (o instanceof Candidate c) needed.addAll(Estimate.keys(spec, c));
            needed.removeIf(profiles::has);
            new ArrayList<>(needed).parallelStream().forEach(profiles::get);
            Object[] outs = java.util.Arrays.stream(checked).parallel().map(o -> o instanceof Candidate c ? estimate(c) : o).toArray();
            for (Object o : outs) {
                if (o instanceof Result r) {
                    feasible.add(r);
                    if (stream != null) stream.accept(r);
                } else {
                    Reject j = (Reject) o;
                    rejected.merge(j.reason(), 1L, Long::sum);
                    examples.putIfAbsent(j.reason(), j.example());
                }
            }
            evaluated += chunk.size();
            done.addAndGet(chunk.size());
            chunk.clear();
            if (progress != null) progress.update(done.get(), total, feasible.size(), profiles.compiled());
        }
        feasible.sort(order(spec.objective()));
        return new Outcome(spec, feasible, rejected, examples, total, evaluated, profiles.compiled(), profiles.seconds(), (System.nanoTime() - t0) / 1e9,
                cpuSeconds() - cpu0);
    }

    /** The CPU time of this process so far, all threads (NaN where the JVM cannot tell). */
    static double cpuSeconds() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) return sun.getProcessCpuTime() / 1e9;
        return Double.NaN;
    }

    /** Why a candidate was rejected: a reason that counts it, and an example of the message. */
    public record Reject(String reason, String example) {
        @Override
        public String toString() {
            return reason + " (" + example + ")";
        }
    }

    /** The order of a ranking: the objective, then less memory, then the enumeration's order. */
    public static Comparator<Result> order(String objective) {
        return Comparator.comparingDouble((Result r) -> cost(objective, r.figures())).thenComparingLong(r -> r.figures().memoryBytes())
                .thenComparingLong(r -> r.candidate().index());
    }

    /** The objective as a cost, lower better. */
    static double cost(String objective, Figures f) {
        return switch (objective) {
            case "throughput" -> -f.tokensPerSecondPerGpu();
            case "ttft" -> f.ttft();
            case "tpot" -> f.tpot();
            case "memory" -> f.memoryBytes();
            default -> f.stepSeconds();
        };
    }

    /** Checks and estimates one candidate: its {@link Result} or its {@link Reject}. */
    public Object evaluate(Candidate c) {
        Object checked = check(c);
        return checked instanceof Candidate ok ? estimate(ok) : checked;
    }

    /** The candidate itself when it passes the memory bound and the strategy check, else its {@link Reject}. */
    Object check(Candidate c) {
        // 1. A lower bound of memory: the weights and model states no split can avoid.
        double capacity = spec.cluster().gpu().memoryBytes();
        for (Requirement r : spec.requirements()) if (r.metric().equals("memory")) capacity = Math.min(capacity, r.limit());
        // Every weight is split over tp x pp at most, an expert's over ep x etp x pp (so the larger
        // of the two bounds every weight's split); ZeRO shards states over dp x cp (x ep in the mesh),
        // or an expert's over edp.
        int modelWays = c.expertMesh() == null ? c.size(MeshAxes.TP) * c.size(MeshAxes.PP) * c.size(MeshAxes.EP)
                : c.size(MeshAxes.PP) * Math.max(c.size(MeshAxes.TP), c.expertSize(MeshAxes.EP) * c.expertSize(MeshAxes.ETP));
        int zeroWays = c.size(MeshAxes.DP) * c.size(MeshAxes.CP) * c.size(MeshAxes.EP);
        if (c.expertMesh() != null) zeroWays = Math.max(zeroWays, c.expertSize(MeshAxes.EDP));
        int dtype = spec.workload().dtype().bytes();
        double perElement = c.zero() >= 3 ? (double) dtype / zeroWays : dtype;
        if (training) {
            perElement += c.zero() >= 2 ? (double) dtype / zeroWays : dtype;
            perElement += c.zero() >= 1 ? 12.0 / zeroWays : 12.0;
        }
        double bound = totalParams / (double) modelWays * perElement;
        if (bound > capacity) {
            return new Reject("memory lower bound: weights and model states exceed " + pdagc.units.Units.bytes((long) capacity) + " per GPU",
                    c.meshText() + ": at least " + pdagc.units.Units.bytes((long) bound));
        }
        if (training) {
            // Every layer keeps at least its input for the backward pass (whatever is recomputed),
            // split at best over tp and cp, for each micro-batch in flight on the first stage.
            int pp = c.size(MeshAxes.PP);
            long layers = (spec.model().layers() + pp - 1) / pp;
            double inFlight = c.schedule() == Pipeline.Schedule.GPIPE ? c.microBatches() : Math.min(c.microBatches(), pp);
            double input = (double) c.microBatch() * spec.workload().seq() * spec.model().param("hidden") * dtype
                    / ((double) c.size(MeshAxes.TP) * c.size(MeshAxes.CP));
            double withActivations = bound + inFlight * layers * input;
            if (withActivations > capacity) {
                return new Reject("memory lower bound: weights, model states and each layer's stored input exceed "
                        + pdagc.units.Units.bytes((long) capacity) + " per GPU", c.text(true) + ": at least " + pdagc.units.Units.bytes((long) withActivations));
            }
        }
        // 2. Legality: the rules of `check`.
        Diagnostics d = new Diagnostics();
        Elaborator.checkStrategy(c.deployment("candidate", spec), d);
        for (Diagnostic g : d.all()) {
            if (g.severity() == pdagc.diag.Severity.ERROR) return new Reject(g.code().id() + " " + reasonOf(g), g.message());
        }
        return c;
    }

    /**
     * A training candidate of b sequences per micro-batch, bounded before its own layer program is
     * compiled: the estimate's memory with the one-sequence layer program's stored activations
     * times b (a layer stores values of its tokens, b times one sequence's), without the head's
     * activations and the collective workspace, so a bound below the estimate. Over the GPU, rejected.
     */
    Object bySequence(Candidate c) {
        Profile one = profiles.get(key(spec, c, c.workload(spec), 1));
        if (one.problem() != null) return c;
        long bound = new Estimate(spec, c, one, c.microBatch()).figures().memoryBytes();
        if (bound > spec.cluster().gpu().memoryBytes()) {
            return new Reject("memory over the GPU's capacity, from one sequence's layer program times the micro-batch's",
                    c.text(true) + " needs about " + pdagc.units.Units.bytes(bound));
        }
        return c;
    }

    /** The closed-form estimate from the compiled layer programs, and the requirements on it. */
    Object estimate(Candidate c) {
        Estimate e = new Estimate(spec, c, profiles);
        String problem = e.problem();
        if (e.beyondRate() != null) return e.beyondRate();
        if (problem != null) return new Reject("the per-GPU program of a layer does not compile: " + problem.split(" ")[0], problem);
        Figures f = e.figures();
        if (f.memoryBytes() > spec.cluster().gpu().memoryBytes()) {
            return new Reject("E0503 memory over the GPU's capacity (estimated)", c.meshText() + " needs " + pdagc.units.Units.bytes(f.memoryBytes()));
        }
        for (Requirement r : spec.requirements()) {
            double v = switch (r.metric()) {
                case "memory" -> f.memoryBytes();
                case "ttft" -> f.ttft();
                case "tpot" -> f.tpot();
                case "ttft_p99" -> f.ttftP99();
                case "tpot_p99" -> f.tpotP99();
                case "latency" -> training ? f.stepSeconds() : f.stepSeconds();
                default -> f.tokensPerSecondPerGpu() * spec.cluster().count();
            };
            if (Double.isNaN(v)) continue;
            if (!r.holds(v)) return new Reject("E0501 requirement not met (estimated): " + r.metric() + " " + r.comparison() + " " + r.limitText(),
                    c.meshText());
        }
        return new Result(c, f);
    }

    /** A diagnostic's message with its numbers elided, so that rejections count by kind. */
    private static String reasonOf(Diagnostic g) {
        return g.message().replaceAll("[0-9][0-9,.]*", "N");
    }

    /** The profile keys of a candidate's steps. */
    static Profile.Key key(SearchSpec s, Candidate c, WorkloadSpec step, int microBatch) {
        boolean moe = s.model().isMoe();
        List<Mesh.Axis> axes = new ArrayList<>();
        for (Mesh.Axis a : c.mesh().axes()) {
            if (a.name().equals(MeshAxes.PP)) continue;
            if (a.name().equals(MeshAxes.DP) && !moe) continue;
            axes.add(a);
        }
        if (axes.isEmpty()) axes.add(new Mesh.Axis(MeshAxes.DP, 1));
        Mesh stage = new Mesh(axes);
        // The node size that keeps in one node the inner axes whose groups stay in one node in the candidate.
        int perNode = 1;
        for (int i = axes.size() - 1; i >= 0; i--) {
            if (Space.nodesSpanned(c.mesh(), axes.get(i).name(), s.cluster().perNode()) > 1) break;
            perNode *= axes.get(i).size();
        }
        int ways = 1;
        for (Mesh.Axis a : axes) if (MeshAxes.BATCH.contains(a.name())) ways *= a.size();
        WorkloadSpec w = new WorkloadSpec(step.name(), (long) microBatch * ways, step.seq(), step.phase(), step.context(), step.dtype(), step.execution(),
                step.spans(), step.span(), null, step.expertDtype(), step.vocabularyDtype());
        return new Profile.Key(stage, c.expertMesh(), Math.max(1, perNode), c.sp() && step.phase() != Phase.DECODE, microBatch,
                training(s) ? c.recompute() : Training.Recompute.NONE, training(s) && moe && c.zero() >= 1 ? 1 : 0, w);
    }

    static boolean training(SearchSpec s) {
        return s.workload().phase() == Phase.TRAIN;
    }

    /** Orders results for display when the objective is the same: as {@link #order}. */
    public static Map<String, Long> sortedReasons(Map<String, Long> rejected) {
        Map<String, Long> out = new LinkedHashMap<>();
        rejected.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }

    static Pipeline.Schedule schedule(Candidate c) {
        return c.schedule();
    }
}
