package pdagc.analysis;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import pdagc.mesh.Pipeline;
import pdagc.sem.Deployment;

/**
 * A training step over pipeline stages analysed from plans of fewer micro-batches. Every micro-batch
 * runs the same program on a stage, so under 1F1B (and its interleaved form) a stage's schedule is a
 * warm-up, a steady run of one forward and one backward per micro-batch, and a cool-down; once every
 * stage has a steady part ({@link #smallest}), adding micro-batches adds the same units to the
 * steady run, and the step's figures grow by the same amount per micro-batch: the critical path, each
 * GPU's computation and communication, FLOPs, bytes and collective traffic are affine in the
 * micro-batches, and the memory (at most the warm-up's micro-batches in flight) does not change.
 *
 * <p>So a step whose one-GPU-per-stage walk is over the node budget is compiled at three micro-batch
 * counts {@code a < b < c} that fit, all at or past {@link #smallest}; the figures of all three plans
 * must lie on one line (the seconds within a billionth of the step, the counts exactly) and the
 * memory must be the same, or there is no fold. The step of {@code m} micro-batches is then read off
 * the line. On plans that fit, the result is the materialized walk's (FoldTest compares them).
 *
 * @param microBatches the step's micro-batches
 * @param compiledAt the three micro-batch counts compiled, the last one's plan the one kept
 */
public record MicroBatchFold(int microBatches, List<Integer> compiledAt) {

    /**
     * The fewest micro-batches at which every stage's schedule has a steady part: the warm-up
     * forwards of the first stage ({@code pp - 1} under 1F1B, {@code 2(pp - 1) + (v - 1)·pp}
     * interleaved) are fewer than its forwards; interleaved, a multiple of pp as Megatron requires.
     */
    public static int smallest(Pipeline p) {
        if (p.schedule() != Pipeline.Schedule.INTERLEAVED) return p.stages();
        long warmup = 2L * (p.stages() - 1) + (long) (p.virtualStages() - 1) * p.stages();
        int m = p.stages();
        while ((long) m * p.virtualStages() <= warmup) m += p.stages();
        return m;
    }

    /** The unit the micro-batches grow by: pp for the interleaved schedule, else 1. */
    public static int step(Pipeline p) {
        return p.schedule() == Pipeline.Schedule.INTERLEAVED ? p.stages() : 1;
    }

    /**
     * The figures of the step of {@code m} micro-batches from the analyses at {@code ms[0..2]}, or
     * null with the reason in {@code why[0]} when they do not lie on one line. {@code d} is the
     * deployment of {@code m} micro-batches (for its requirements, batch and pipeline).
     */
    public static Analysis extrapolate(Deployment d, Analysis[] at, int[] ms, int m, String[] why) {
        Analysis a = at[0], b = at[1], c = at[2];
        Line line = new Line(ms, m);
        if (a.gpus().size() != c.gpus().size() || b.gpus().size() != c.gpus().size()) {
            why[0] = "the plans have different GPUs";
            return null;
        }
        double seconds = line.seconds(a.step().seconds(), b.step().seconds(), c.step().seconds(), "the step's time", why);
        double communication = line.seconds(a.step().communicationSeconds(), b.step().communicationSeconds(), c.step().communicationSeconds(),
                "the communication on the critical path", why);
        List<Analysis.GpuFigures> gpus = new ArrayList<>(c.gpus().size());
        for (int g = 0; g < c.gpus().size() && why[0] == null; g++) {
            Analysis.GpuFigures ga = a.gpus().get(g), gb = b.gpus().get(g), gc = c.gpus().get(g);
            if (!ga.memory().equals(gc.memory()) || !gb.memory().equals(gc.memory())) {
                why[0] = "GPU " + g + "'s memory changes with the micro-batches";
                break;
            }
            String on = " of GPU " + g;
            double compute = line.seconds(ga.computeSeconds(), gb.computeSeconds(), gc.computeSeconds(), "the computation" + on, why);
            double overhead = line.seconds(ga.overheadSeconds(), gb.overheadSeconds(), gc.overheadSeconds(), "the overheads" + on, why);
            double comm = line.seconds(ga.communicationSeconds(), gb.communicationSeconds(), gc.communicationSeconds(), "the communication" + on, why);
            long flops = line.count(ga.flops(), gb.flops(), gc.flops(), "the FLOPs" + on, why);
            long hbm = line.count(ga.hbmBytes(), gb.hbmBytes(), gc.hbmBytes(), "the HBM bytes" + on, why);
            long buffers = line.count(ga.collectiveBufferBytes(), gb.collectiveBufferBytes(), gc.collectiveBufferBytes(), "the collective buffers" + on,
                    why);
            long traffic = line.count(ga.collectiveTrafficBytes(), gb.collectiveTrafficBytes(), gc.collectiveTrafficBytes(),
                    "the collective traffic" + on, why);
            double idle = Math.max(0, seconds - compute - comm);
            gpus.add(new Analysis.GpuFigures(gc.gpu(), gc.memory(), gc.capacityBytes(), flops, hbm, buffers, traffic, compute, overhead, comm, idle));
        }
        Analysis.Training training = null;
        if (c.training() != null && why[0] == null) {
            Analysis.Training ta = a.training(), tb = b.training(), tc = c.training();
            training = new Analysis.Training(line.count(ta.modelFlops(), tb.modelFlops(), tc.modelFlops(), "the model FLOPs", why),
                    line.count(ta.hardwareFlops(), tb.hardwareFlops(), tc.hardwareFlops(), "the hardware FLOPs", why), seconds, tc.gpus(),
                    tc.peakFlops(), tc.stored());
        }
        if (why[0] != null) return null;
        Pipeline pipe = d.strategy().pipeline();
        Analysis.Step s = c.step();
        long tokens = pdagc.ir.Overflow.mul(d.workload().batch(), d.workload().stepTokens());
        Analysis.Step step = new Analysis.Step(s.phase(), tokens, seconds, communication, s.path(), OptionalDouble.of(pipe.bubbleFraction()), null);
        Analysis figures = new Analysis(List.copyOf(gpus), step, c.kvBytesPerToken(), c.nodes(), List.of(), null, null, training);
        return new Analysis(figures.gpus(), step, c.kvBytesPerToken(), c.nodes(), Requirements.evaluate(d.requirements(), figures), null, null,
                training, c.schedule());
    }

    /** The line through three points {@code (ms[i], value)}, read at {@code m}. */
    private record Line(int[] ms, int m) {
        /** Relative tolerance of a time on the line: the sums of node times round differently at each count. */
        static final double TOLERANCE = 1e-9;

        double seconds(double a, double b, double c, String what, String[] why) {
            double slope = (c - a) / (ms[2] - ms[0]);
            double atB = a + slope * (ms[1] - ms[0]);
            if (Math.abs(atB - b) > TOLERANCE * Math.max(Math.abs(c), 1e-12)) {
                if (why[0] == null) {
                    why[0] = String.format(java.util.Locale.ROOT, "%s is not affine in the micro-batches (%.9g, %.9g, %.9g s at %d, %d, %d)", what, a, b,
                            c, ms[0], ms[1], ms[2]);
                }
                return Double.NaN;
            }
            return c + slope * (m - ms[2]);
        }

        long count(long a, long b, long c, String what, String[] why) {
            return count(BigInteger.valueOf(a), BigInteger.valueOf(b), BigInteger.valueOf(c), what, why).longValueExact();
        }

        BigInteger count(BigInteger a, BigInteger b, BigInteger c, String what, String[] why) {
            BigInteger span = BigInteger.valueOf(ms[2] - ms[1]);
            BigInteger rise = c.subtract(b);
            BigInteger[] q = rise.divideAndRemainder(span);
            boolean onLine = q[1].signum() == 0 && b.subtract(a).equals(q[0].multiply(BigInteger.valueOf(ms[1] - ms[0])));
            if (!onLine) {
                if (why[0] == null) why[0] = what + " is not affine in the micro-batches (" + a + ", " + b + ", " + c + " at " + ms[0] + ", " + ms[1] + ", " + ms[2] + ")";
                return c;
            }
            return c.add(q[0].multiply(BigInteger.valueOf(m - ms[2])));
        }
    }
}
