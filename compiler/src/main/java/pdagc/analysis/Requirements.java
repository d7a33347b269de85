package pdagc.analysis;

import java.util.ArrayList;
import java.util.List;
import pdagc.diag.Diags;
import pdagc.diag.Diagnostics;
import pdagc.sem.Deployment;
import pdagc.sem.Phase;
import pdagc.sem.Requirement;
import pdagc.units.Units;

/**
 * check-requirements: the deployment's {@code require} clauses and the GPUs' capacity against the
 * analysis. Each clause's figure is evaluated once here (for the diagnostics, the report and the
 * JSON plan): {@code memory} the largest per-GPU total, {@code ttft} the prefill step, {@code tpot}
 * the decode step, {@code latency} the step either way, {@code throughput} tokens per second;
 * {@code ttft_p99} and {@code tpot_p99} the 99th percentiles over the requests, which differ from
 * the figures only for requests arriving at a rate ({@link Serving#ttftP99}). A
 * violated clause is E0501 at the clause with the figure and the limit; a clause the workload's
 * phase cannot answer (ttft of a decode workload, tpot of a prefill one) is W0504.
 */
public final class Requirements {
    private Requirements() {}

    /**
     * One clause's outcome: its {@code value} in base units (NaN when not {@code applicable}, with
     * {@code why}).
     */
    public record Result(Requirement requirement, boolean applicable, double value, String why) {
        public boolean holds() {
            return applicable && requirement.holds(value);
        }

        /**
         * The value as people read it ("n/a" when not applicable). Formatted when asked for, not
         * when evaluated: most commands never print a met clause's figure, and the first use of
         * {@code String.format} costs a cold JVM several milliseconds.
         */
        public String figure() {
            if (!applicable) return "n/a";
            return switch (requirement.metric()) {
                case "memory" -> Units.bytes(value);
                case "throughput" -> Figures.tokensPerSecond(value);
                default -> Units.seconds(value);
            };
        }
    }

    static List<Result> evaluate(List<Requirement> requirements, Analysis a) {
        List<Result> out = new ArrayList<>();
        for (Requirement r : requirements) out.add(evaluate(r, a));
        return List.copyOf(out);
    }

    private static Result evaluate(Requirement r, Analysis a) {
        if (a.serving() != null) return evaluate(r, a.serving());
        Analysis.Step s = a.step();
        return switch (r.metric()) {
            case "memory" -> {
                long v = a.largestMemory().memory().total();
                yield new Result(r, true, v, null);
            }
            case "ttft", "ttft_p99" -> s.phase() == Phase.PREFILL ? time(r, s.seconds())
                    : new Result(r, false, Double.NaN, "time to first token is the prefill step, and this workload runs decode");
            case "tpot", "tpot_p99" -> s.phase() == Phase.DECODE ? time(r, s.seconds())
                    : new Result(r, false, Double.NaN, "time per output token is the decode step, and this workload runs prefill");
            case "latency" -> time(r, s.seconds());
            case "throughput" -> new Result(r, true, s.throughput(), null);
            default -> throw new IllegalStateException("elaborator and requirements disagree on metric " + r.metric());
        };
    }

    /**
     * A serving workload's clause: {@code memory} the largest per-GPU total over its steps,
     * {@code ttft} the prefill step, {@code tpot} the mean decode step, {@code latency} end to end,
     * {@code throughput} the tokens generated per second in all.
     */
    private static Result evaluate(Requirement r, Serving s) {
        return switch (r.metric()) {
            case "memory" -> new Result(r, true, s.peakMemory().memory().total(), null);
            case "ttft" -> time(r, s.ttft());
            case "tpot" -> s.decode() != null ? time(r, s.tpot())
                    : new Result(r, false, Double.NaN, "with one output token there is no decode step: the prefill gives it");
            case "latency" -> time(r, s.endToEnd());
            case "throughput" -> new Result(r, true, s.throughput(), null);
            case "ttft_p99" -> time(r, s.ttftP99());
            case "tpot_p99" -> s.decode() != null ? time(r, s.tpotP99())
                    : new Result(r, false, Double.NaN, "with one output token there is no decode step: the prefill gives it");
            default -> throw new IllegalStateException("elaborator and requirements disagree on metric " + r.metric());
        };
    }

    private static Result time(Requirement r, double seconds) {
        return new Result(r, true, seconds, null);
    }

    /** Adds the capacity check (E0503) and one diagnostic per violated or unanswerable clause. */
    public static void check(Deployment d, Analysis a, Diagnostics diagnostics) {
        // A serving workload's memory is its largest step's (the last decode step's unless the prefill's is larger).
        Analysis held = a.serving() != null ? a.serving().peakStep().analysis() : a;
        Analysis.GpuFigures worst = held.largestMemory();
        double capacity = d.cluster().gpu().memoryBytes();
        if (worst.memory().total() > capacity) {
            long over = held.gpus().stream().filter(g -> g.memory().total() > capacity).count();
            String which = worst.gpu() + (over > 1 ? " (and " + (over - 1) + " other" + (over > 2 ? "s" : "") + ")" : "");
            diagnostics.add(Diags.outOfMemory(d.span(), which, Units.bytes(worst.memory().total()), Units.bytes(capacity), breakdown(worst)));
        }
        for (Result r : a.requirements()) {
            Requirement q = r.requirement();
            if (!r.applicable()) {
                diagnostics.add(Diags.requirementNotEvaluated(q.span(), q.metric(), r.why()));
            } else if (!r.holds()) {
                diagnostics.add(Diags.requirementNotMet(q.span(), describe(q.metric(), a), r.figure(), q.comparison(), q.limitText(),
                        q.metric().equals("memory") ? breakdown(worst) : a.serving() != null ? serving(a.serving()) : path(a.step())));
            }
        }
    }

    private static String describe(String metric, Analysis a) {
        return switch (metric) {
            case "memory" -> "memory per GPU";
            case "ttft_p99", "tpot_p99" -> metric + " (the 99th percentile over the requests)";
            case "latency" -> a.serving() != null ? "latency (end to end)"
                    : "latency (" + (a.step().phase() == Phase.PREFILL ? "prefill" : "decode") + " step)";
            default -> metric;
        };
    }

    static String serving(Serving s) {
        if (s.arrivals() != null && s.arrivals().simulated() != null) {
            ServingSimulation.Result run = s.arrivals().simulated();
            return "over the " + run.requests() * s.arrivals().prefillBatch() + " requests simulated at " + Figures.rate(s.arrivals().rate()) + ": TTFT mean "
                    + Units.seconds(run.ttft().mean()) + ", p99 " + Units.seconds(run.ttft().p99())
                    + (s.decode() == null ? "; one output token" : "; TPOT mean " + Units.seconds(run.tpot().mean()) + ", p99 " + Units.seconds(run.tpot().p99())
                            + "; end to end mean " + Units.seconds(run.endToEnd().mean()) + ", p99 " + Units.seconds(run.endToEnd().p99()));
        }
        return "TTFT " + Units.seconds(s.ttft()) + (s.decode() == null ? ", one output token"
                : " + " + s.decodeSteps() + " decode steps x TPOT " + Units.seconds(s.tpot()) + " = " + Units.seconds(s.endToEnd()))
                + "; " + s.batch() + " x " + s.output() + " tokens generated";
    }

    static String breakdown(Analysis.GpuFigures g) {
        Memory.PerGpu m = g.memory();
        return "GPU " + g.gpu() + ": weights " + Units.bytes(m.weightBytes()) + " + KV cache " + Units.bytes(m.kvCacheBytes())
                + " + activations " + Units.bytes(m.activationBytes()) + " + collective workspace " + Units.bytes(m.workspaceBytes())
                + modelStates(m);
    }

    /** A training step's gradients and optimizer states, as the rest of a memory breakdown; nothing for a step without them. */
    public static String modelStates(Memory.PerGpu m) {
        if (m.gradientBytes() == 0 && m.optimizerBytes() == 0) return "";
        return " + gradients " + Units.bytes(m.gradientBytes()) + " + optimizer states " + Units.bytes(m.optimizerBytes());
    }

    static String path(Analysis.Step s) {
        String what = s.steady() == null ? "critical path "
                : "steady-state cycle (" + (s.steady().latencyBound() ? "the loop of one micro-batch" : "the busiest stage's "
                        + s.steady().microBatches() + " micro-batches") + ") ";
        return what + Units.seconds(s.seconds()) + ": computation " + Units.seconds(s.seconds() - s.communicationSeconds())
                + " + communication " + Units.seconds(s.communicationSeconds()) + ", " + s.tokens() + " tokens per step";
    }
}
