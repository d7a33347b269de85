package pdagc.analysis;

import pdagc.ir.Overflow;
import java.util.AbstractList;
import java.util.List;
import java.util.OptionalDouble;
import pdagc.dag.GpuInfo;
import pdagc.dag.PlanDag;
import pdagc.dag.Quotient;
import pdagc.ir.Graph;
import pdagc.sem.Deployment;
import pdagc.sem.Phase;
import pdagc.spmd.SpmdProgram;

/**
 * analyze: the figures of design section 6 for one materialized plan, computed once after
 * validation and read by the requirement checks, the report and the JSON plan (backends only
 * print them). Per node: FLOPs, bytes and time ({@link NodeCosts}). Per GPU: memory in four parts
 * ({@link Memory}), FLOPs, HBM traffic, collective bytes and time split into computation,
 * communication and idle. Per plan: the critical path ({@link CriticalPath}) as TTFT (prefill) or
 * time per output token (decode), throughput, the share of communication. {@code problem} is null,
 * or says why the plan has no schedule (a compiler bug). {@code serving}: for the plan of a serving
 * workload's last decode step, the serving figures over all its steps' plans ({@link Serving}), which
 * its requirements are evaluated against; null otherwise.
 */
public record Analysis(
        List<GpuFigures> gpus,
        Step step,
        long kvBytesPerToken,
        NodeCosts nodes,
        List<Requirements.Result> requirements,
        String problem,
        Serving serving,
        Training training,
        Schedule schedule) {

    /** Figures without a training step's. */
    public Analysis(List<GpuFigures> gpus, Step step, long kvBytesPerToken, NodeCosts nodes, List<Requirements.Result> requirements, String problem,
            Serving serving) {
        this(gpus, step, kvBytesPerToken, nodes, requirements, problem, serving, null, null);
    }

    /** Figures without the simulated schedule. */
    public Analysis(List<GpuFigures> gpus, Step step, long kvBytesPerToken, NodeCosts nodes, List<Requirements.Result> requirements, String problem,
            Serving serving, Training training) {
        this(gpus, step, kvBytesPerToken, nodes, requirements, problem, serving, training, null);
    }

    /**
     * The simulated step that the critical path solves ({@link CriticalPath}), as the timeline draws
     * it: by quotient node ({@link Quotient#nodes()}), when it starts and finishes; per role
     * ({@link Quotient#roles()}), its nodes in schedule order ({@code order}) and the activation bytes
     * live at each of them ({@code liveActivations}: {@link Liveness}, whose peak is the role's
     * activation memory). {@code seconds}: the step's length, the last finish. For a pipelined
     * decode step this is one step on its own, filling and draining the pipeline
     * ({@link SteadyState#stepSeconds()}), not the steady-state cycle.
     */
    public record Schedule(Quotient quotient, int[][] order, double[] start, double[] finish, double seconds, long[][] liveActivations) {
        public int roles() {
            return order.length;
        }

        public pdagc.dag.DagNode node(int q) {
            return quotient.nodes().get(q);
        }
    }

    /**
     * A training step's figures, from the plan's nodes. {@code modelFlops}: the FLOPs of the matrix
     * products ({@link OpCost#isProduct}) of every GPU's nodes, forward and backward, over the
     * step's micro-batches, without recomputation; {@code hardwareFlops}: the same with the forward
     * ops the backward pass recomputes. MFU and HFU are these per second per GPU over the GPU's
     * peak dense rate in the workload's type (Chowdhery et al. 2022, PaLM, appendix B; Korthikanti
     * et al. 2022): the model FLOPs are what the model needs whatever the implementation, the
     * hardware FLOPs what this plan runs. Attention counts the full score square, as Megatron's and
     * PaLM's formulas do ({@code OpCost}). {@code stored}: the activations each layer stores for the
     * backward pass ({@link StoredActivations}), per GPU and micro-batch. {@code overlap}: where
     * the strategy overlaps the gradients' reduction ({@link Streams}), the step on one stream and
     * what runs on the second; null otherwise.
     */
    public record Training(java.math.BigInteger modelFlops, java.math.BigInteger hardwareFlops, double seconds, int gpus, double peakFlops,
            List<StoredActivations.Layer> stored, Overlap overlap) {

        /** Without overlap. */
        public Training(java.math.BigInteger modelFlops, java.math.BigInteger hardwareFlops, double seconds, int gpus, double peakFlops,
                List<StoredActivations.Layer> stored) {
            this(modelFlops, hardwareFlops, seconds, gpus, peakFlops, stored, null);
        }

        /** Model FLOPs utilization: model FLOPs per second per GPU over the peak. */
        public double mfu() {
            return modelFlops.doubleValue() / (seconds * gpus * peakFlops);
        }

        /** Hardware FLOPs utilization: with the recomputed forward ops. */
        public double hfu() {
            return hardwareFlops.doubleValue() / (seconds * gpus * peakFlops);
        }
    }

    /**
     * The overlap of a training step's gradient reduction with its backward pass: {@code
     * oneStreamSeconds}, the step's critical path with every node on one stream (the step without
     * the overlap); {@code secondStreamSeconds}, the time of the nodes on the second stream (the
     * reductions and the accumulations before them; the largest sum over the roles). The step's time is the critical path with them on it; what
     * the overlap hides is the difference, at most the second stream's time.
     */
    public record Overlap(double oneStreamSeconds, double secondStreamSeconds) {}

    /**
     * One GPU's figures; for a role, the largest over its GPUs. {@code overheadSeconds} is the part
     * of {@code computeSeconds} that is kernel overhead or waiting for the host to launch kernels.
     */
    public record GpuFigures(
            int gpu,
            Memory.PerGpu memory,
            double capacityBytes,
            long flops,
            long hbmBytes,
            long collectiveBufferBytes,
            long collectiveTrafficBytes,
            double computeSeconds,
            double overheadSeconds,
            double communicationSeconds,
            double idleSeconds) {

        public double busySeconds() {
            return computeSeconds + communicationSeconds;
        }
    }

    /**
     * One forward step of the workload: {@code tokens} (batch · seq in prefill, batch in decode)
     * processed in {@code seconds}, of which {@code communicationSeconds} are collectives on
     * {@code path}. For prefill, and for decode without a pipeline, {@code seconds} is the critical
     * path of one step. For decode over pipeline stages it is the steady state ({@code steady}):
     * serving engines keep the micro-batches in flight from step to step, so no step fills or drains
     * the pipeline. {@code pipelineBubble}: for a step on its own, the share of a pipeline stage's
     * step spent waiting for the pipeline to fill and drain, (p - 1) / (v·m + p - 1) for balanced
     * stages under the schedule ({@link pdagc.mesh.Pipeline#bubbleFraction}); in the steady state,
     * the share of the cycle that the busiest stage waits for its micro-batches to come round;
     * empty with pp 1.
     */
    public record Step(Phase phase, long tokens, double seconds, double communicationSeconds, List<Integer> path,
            OptionalDouble pipelineBubble, SteadyState steady) {

        /** Time to first token: the prefill step. NaN for decode. */
        public double ttft() {
            return phase == Phase.PREFILL ? seconds : Double.NaN;
        }

        /** Time per output token: the decode step. NaN for prefill. */
        public double tpot() {
            return phase == Phase.DECODE ? seconds : Double.NaN;
        }

        /** Tokens per second: batch · seq / TTFT in prefill, batch / TPOT in decode. */
        public double throughput() {
            return tokens / seconds;
        }

        public double communicationShare() {
            return seconds > 0 ? communicationSeconds / seconds : 0;
        }

        /** Whether this is a pipelined decode step in its steady state. */
        public boolean steadyState() {
            return steady != null;
        }
    }

    /**
     * Pipelined decode in its steady state. The {@code microBatches} micro-batches circulate through
     * the {@code stages} stages from step to step; a sequence's next token comes when its
     * micro-batch returns to the first stage. So one cycle (the time per output token) is the
     * larger of {@code loopSeconds}, the time one micro-batch takes through all stages on its own
     * (its nodes in schedule order, send/recv included: the longest path over one micro-batch's
     * nodes), and {@code microBatches} times {@code stageBusySeconds}, the busiest stage's
     * computation and communication for one micro-batch (on GPU {@code busiestGpu}, the first
     * of its role). Both come from the plan's own node costs. {@code stepSeconds}: the critical path of one
     * step on its own, filling and draining the pipeline (what a step costs without the steady
     * state). The sampled tokens' way back from the last stage to the first (a few bytes per
     * sequence) is not in the plan and not costed.
     */
    public record SteadyState(int microBatches, int stages, double loopSeconds, double stageBusySeconds, int busiestGpu,
            double stepSeconds) {

        /** The time per output token: max(loop, m × the busiest stage per micro-batch). */
        public double cycleSeconds() {
            return Math.max(loopSeconds, microBatches * stageBusySeconds);
        }

        /** Whether the loop of one micro-batch sets the cycle (too few micro-batches to keep every stage busy). */
        public boolean latencyBound() {
            return loopSeconds >= microBatches * stageBusySeconds;
        }
    }

    /** The analysis of a plan walked as its quotient (validation builds it too, so it is shared). */
    public static Analysis run(Deployment d, Graph graph, SpmdProgram program, Quotient quotient) {
        DagIndex idx = new DagIndex(quotient);
        List<GpuInfo> gpuInfo = quotient.plan().gpus();
        NodeCosts costs = NodeCosts.of(program, quotient, gpuInfo, d.cluster(), d.workload().execution(), d.workload().precision());
        Memory.PerGpu[] memory;
        try {
            memory = Memory.perRole(program, idx, costs, d.workload().context(), d.strategy().training().zero());
        } catch (Overflow e) {
            throw e.in("counting the memory of a GPU in bytes");
        }
        // Where the strategy overlaps the gradients' reduction, the step runs on two streams per GPU.
        Streams.Stream[] stream = streams(idx, program, d.strategy().training());
        CriticalPath.Result path = stream == null ? CriticalPath.run(idx, costs) : CriticalPath.run(idx, costs, stream, program);
        Overlap overlap = stream == null ? null : new Overlap(CriticalPath.run(idx, costs).seconds(), secondStream(idx, costs, stream));
        boolean steady = d.workload().phase() == Phase.DECODE && program.pipeline().stages() > 1 && path.problem() == null;
        Step step = steady ? steadyStep(d, idx, costs, quotient, program, path) : null;
        double makespan = steady ? step.seconds() : path.seconds();
        GpuFigures[] roles = new GpuFigures[quotient.roles()];
        for (int r = 0; r < roles.length; r++) {
            try {
                roles[r] = role(quotient.representative(r), idx.schedule[r], costs, memory[r], d.cluster().gpu().memoryBytes(), makespan, stream);
            } catch (Overflow e) {
                throw e.in("adding up the FLOPs and bytes of GPU " + quotient.representative(r) + "'s step");
            }
        }
        List<GpuFigures> gpus = new AbstractList<>() {
            @Override
            public GpuFigures get(int g) {
                GpuFigures f = roles[quotient.roleOf(g)];
                return f.gpu() == g ? f : new GpuFigures(g, f.memory(), f.capacityBytes(), f.flops(), f.hbmBytes(), f.collectiveBufferBytes(),
                        f.collectiveTrafficBytes(), f.computeSeconds(), f.overheadSeconds(), f.communicationSeconds(), f.idleSeconds());
            }

            @Override
            public int size() {
                return gpuInfo.size();
            }
        };
        if (!steady) {
            long tokens = Overflow.mul(d.workload().batch(), d.workload().stepTokens());
            // The bubble of a balanced pipeline under its schedule; the measured idle time per role is in the figures.
            OptionalDouble bubble = program.pipeline().stages() > 1 ? OptionalDouble.of(program.pipeline().bubbleFraction()) : OptionalDouble.empty();
            step = new Step(d.workload().phase(), tokens, path.seconds(), path.communicationSeconds(), quotient.planIndices(path.path()), bubble, null);
        }
        Training training = program.training() ? training(d, program, idx, costs, quotient, step.seconds(), overlap) : null;
        Analysis figures = new Analysis(gpus, step, Memory.kvBytesPerToken(graph), costs, List.of(), path.problem(), null, training);
        if (path.problem() != null) return figures;
        Schedule schedule = schedule(program, idx, costs, path);
        return new Analysis(figures.gpus, step, figures.kvBytesPerToken, costs, Requirements.evaluate(d.requirements(), figures), null, null, training,
                schedule);
    }

    /** The simulated step of {@code path}'s solution, with each role's live activations along its schedule. */
    private static Schedule schedule(SpmdProgram program, DagIndex idx, NodeCosts costs, CriticalPath.Result path) {
        boolean[] cache = Liveness.cacheValues(program, idx);
        long[][] live = new long[idx.schedule.length][];
        for (int r = 0; r < live.length; r++) live[r] = Liveness.profile(idx, r, cache, program, costs);
        return new Schedule(idx.q, idx.schedule, path.start(), path.finish(), path.seconds(), live);
    }

    /**
     * A training step's FLOPs from the plan's nodes: each role's matrix products (its
     * representative's schedule, every micro-batch), recomputed forward ops apart (a forward op in
     * the backward pass), summed over every GPU of the plan.
     */
    private static Training training(Deployment d, SpmdProgram program, DagIndex idx, NodeCosts costs, Quotient quotient, double seconds,
            Overlap overlap) {
        boolean[] backward = program.backward();
        long[] model = new long[idx.schedule.length];
        long[] hardware = new long[idx.schedule.length];
        for (int r = 0; r < idx.schedule.length; r++) {
            for (int i : idx.schedule[r]) {
                pdagc.spmd.SpmdNode op = program.nodes().get(idx.node(i).program());
                if (!OpCost.isProduct(op.op())) continue;
                hardware[r] = Overflow.add(hardware[r], costs.flopsAt(i));
                boolean recomputed = backward[op.id()] && !(op.op() instanceof pdagc.ir.Op.Grad);
                if (!recomputed) model[r] = Overflow.add(model[r], costs.flopsAt(i));
            }
        }
        java.math.BigInteger m = java.math.BigInteger.ZERO, h = java.math.BigInteger.ZERO;
        int gpus = quotient.plan().gpus().size();
        for (int g = 0; g < gpus; g++) {
            m = m.add(java.math.BigInteger.valueOf(model[quotient.roleOf(g)]));
            h = h.add(java.math.BigInteger.valueOf(hardware[quotient.roleOf(g)]));
        }
        return new Training(m, h, seconds, gpus, d.cluster().gpu().peakFlops(d.workload().dtype()), StoredActivations.of(program, costs), overlap);
    }

    /** Each quotient node's stream, or null when every node runs on one stream (nothing overlaps). */
    private static Streams.Stream[] streams(DagIndex idx, SpmdProgram program, pdagc.sem.Training training) {
        Streams.Stream[] ops = Streams.of(program, training);
        boolean any = false;
        for (Streams.Stream s : ops) any |= s == Streams.Stream.SIDE;
        if (!any) return null;
        Streams.Stream[] out = new Streams.Stream[idx.role.length];
        for (int i = 0; i < out.length; i++) out[i] = ops[idx.node(i).program()];
        return out;
    }

    /** The largest sum over the roles of the times of the nodes on the second stream. */
    private static double secondStream(DagIndex idx, NodeCosts costs, Streams.Stream[] stream) {
        double most = 0;
        for (int[] schedule : idx.schedule) {
            double sum = 0;
            for (int i : schedule) if (stream[i] == Streams.Stream.SIDE) sum += costs.secondsAt(i);
            most = Math.max(most, sum);
        }
        return most;
    }

    /**
     * This analysis (of a serving workload's last decode step) with the serving figures of all its
     * steps, and {@code requirements} evaluated against them.
     */
    public Analysis withServing(Serving s, List<pdagc.sem.Requirement> requirements) {
        Analysis a = new Analysis(gpus, step, kvBytesPerToken, nodes, List.of(), problem, s, training, schedule);
        return new Analysis(gpus, step, kvBytesPerToken, nodes, Requirements.evaluate(requirements, a), problem, s, training, schedule);
    }

    /**
     * A pipelined decode step in its steady state ({@link SteadyState}): the loop of one
     * micro-batch, and each role's computation and communication per micro-batch. The path is the
     * loop's when it sets the cycle, else the busiest role's whole schedule (its work is the cycle).
     */
    private static Step steadyStep(Deployment d, DagIndex idx, NodeCosts costs, Quotient quotient, SpmdProgram program,
            CriticalPath.Result fillAndDrain) {
        int m = program.pipeline().microBatches();
        CriticalPath.Result loop = CriticalPath.loop(idx, costs);
        double busiest = 0;
        int busiestRole = 0;
        for (int r = 0; r < idx.schedule.length; r++) {
            double[] perMicroBatch = new double[m];
            for (int i : idx.schedule[r]) perMicroBatch[idx.node(i).microBatch()] += costs.secondsAt(i);
            for (double busy : perMicroBatch) {
                if (busy > busiest) {
                    busiest = busy;
                    busiestRole = r;
                }
            }
        }
        SteadyState s = new SteadyState(m, program.pipeline().stages(), loop.seconds(), busiest, quotient.representative(busiestRole), fillAndDrain.seconds());
        List<Integer> path;
        double communication = 0;
        if (s.latencyBound()) {
            path = loop.path();
            communication = loop.communicationSeconds();
        } else {
            path = new java.util.ArrayList<>();
            for (int i : idx.schedule[busiestRole]) {
                path.add(i);
                if (costs.isCollectiveAt(i)) communication += costs.secondsAt(i);
            }
        }
        double cycle = s.cycleSeconds();
        OptionalDouble waiting = OptionalDouble.of(cycle > 0 ? Math.max(0, 1 - m * busiest / cycle) : 0);
        return new Step(Phase.DECODE, d.workload().batch(), cycle, communication, quotient.planIndices(path), waiting, s);
    }

    /** The figures of one role's schedule, under its representative GPU's id. */
    private static GpuFigures role(int gpu, int[] schedule, NodeCosts costs, Memory.PerGpu memory, double capacity, double makespan,
            Streams.Stream[] stream) {
        long flops = 0, hbm = 0, buffers = 0, traffic = 0;
        double compute = 0, overhead = 0, communication = 0, overlapped = 0;
        for (int i : schedule) {
            if (stream != null && stream[i] == Streams.Stream.SIDE) overlapped += costs.secondsAt(i);
            CollectiveCost c = costs.collectiveAt(i);
            if (c != null) {
                buffers = Overflow.add(buffers, c.bufferBytes());
                traffic = Overflow.add(traffic, c.trafficBytes());
                communication += c.seconds();
            } else {
                flops = Overflow.add(flops, costs.flopsAt(i));
                hbm = Overflow.add(hbm, costs.bytesAt(i));
                compute += costs.secondsAt(i);
                overhead += costs.overheadAt(i);
            }
        }
        // Idle: the time the first stream waits (for peers, or for the second stream's reductions); it runs all but the second stream's nodes.
        double idle = Math.max(0, makespan - (compute + communication - overlapped));
        return new GpuFigures(gpu, memory, capacity, flops, hbm, buffers, traffic, compute, overhead, communication, idle);
    }

    /** The GPU with the largest memory total (the lowest id among equals). */
    public GpuFigures largestMemory() {
        GpuFigures worst = gpus.get(0);
        for (GpuFigures g : gpus) if (g.memory().total() > worst.memory().total()) worst = g;
        return worst;
    }

    /** A role's figures: each the largest over the role's GPUs, under the first GPU's id. */
    public GpuFigures role(PlanDag.Role role) {
        GpuFigures m = gpus.get(role.gpus().get(0));
        for (int g : role.gpus()) m = max(m, gpus.get(g));
        return m;
    }

    private static GpuFigures max(GpuFigures a, GpuFigures b) {
        Memory.PerGpu ma = a.memory(), mb = b.memory();
        Memory.PerGpu mem = new Memory.PerGpu(Math.max(ma.weightBytes(), mb.weightBytes()), Math.max(ma.kvCacheBytes(), mb.kvCacheBytes()),
                Math.max(ma.activationBytes(), mb.activationBytes()), Math.max(ma.workspaceBytes(), mb.workspaceBytes()),
                Math.max(ma.gradientBytes(), mb.gradientBytes()), Math.max(ma.optimizerBytes(), mb.optimizerBytes()));
        return new GpuFigures(a.gpu(), mem, Math.min(a.capacityBytes(), b.capacityBytes()), Math.max(a.flops(), b.flops()),
                Math.max(a.hbmBytes(), b.hbmBytes()), Math.max(a.collectiveBufferBytes(), b.collectiveBufferBytes()),
                Math.max(a.collectiveTrafficBytes(), b.collectiveTrafficBytes()), Math.max(a.computeSeconds(), b.computeSeconds()),
                Math.max(a.overheadSeconds(), b.overheadSeconds()),
                Math.max(a.communicationSeconds(), b.communicationSeconds()), Math.max(a.idleSeconds(), b.idleSeconds()));
    }

    /** Sums over all GPUs: FLOPs, HBM bytes, collective traffic. */
    public record Totals(double flops, double hbmBytes, double collectiveTrafficBytes) {}

    public Totals totals() {
        double f = 0, b = 0, t = 0;
        for (GpuFigures g : gpus) {
            f += g.flops();
            b += g.hbmBytes();
            t += g.collectiveTrafficBytes();
        }
        return new Totals(f, b, t);
    }
}
