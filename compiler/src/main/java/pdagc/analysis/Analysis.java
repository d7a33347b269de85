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
 * or says why the plan has no schedule (a compiler bug).
 */
public record Analysis(
        List<GpuFigures> gpus,
        Step step,
        long kvBytesPerToken,
        NodeCosts nodes,
        List<Requirements.Result> requirements,
        String problem) {

    /** One GPU's figures; for a role, the largest over its GPUs. */
    public record GpuFigures(
            int gpu,
            Memory.PerGpu memory,
            double capacityBytes,
            long flops,
            long hbmBytes,
            long collectiveBufferBytes,
            long collectiveTrafficBytes,
            double computeSeconds,
            double communicationSeconds,
            double idleSeconds) {

        public double busySeconds() {
            return computeSeconds + communicationSeconds;
        }
    }

    /**
     * One forward step of the workload: {@code tokens} (batch · seq in prefill, batch in decode)
     * processed in {@code seconds}, the critical path's length, of which {@code
     * communicationSeconds} are collectives on that path. {@code pipelineBubble}: the share of a
     * pipeline stage's step spent waiting for the pipeline to fill and drain, (p - 1) / (v·m + p - 1)
     * for balanced stages under the schedule ({@link pdagc.mesh.Pipeline#bubbleFraction}); empty
     * with pp 1.
     */
    public record Step(Phase phase, long tokens, double seconds, double communicationSeconds, List<Integer> path,
            OptionalDouble pipelineBubble) {

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
    }

    /** The analysis of a plan walked as its quotient (validation builds it too, so it is shared). */
    public static Analysis run(Deployment d, Graph graph, SpmdProgram program, Quotient quotient) {
        DagIndex idx = new DagIndex(quotient);
        List<GpuInfo> gpuInfo = quotient.plan().gpus();
        NodeCosts costs = NodeCosts.of(program, quotient, gpuInfo, d.cluster(), d.workload().execution());
        Memory.PerGpu[] memory;
        try {
            memory = Memory.perRole(program, idx, costs, d.workload().context());
        } catch (Overflow e) {
            throw e.in("counting the memory of a GPU in bytes");
        }
        CriticalPath.Result path = CriticalPath.run(idx, costs);
        GpuFigures[] roles = new GpuFigures[quotient.roles()];
        for (int r = 0; r < roles.length; r++) {
            try {
                roles[r] = role(quotient.representative(r), idx.schedule[r], costs, memory[r], d.cluster().gpu().memoryBytes(), path.seconds());
            } catch (Overflow e) {
                throw e.in("adding up the FLOPs and bytes of GPU " + quotient.representative(r) + "'s step");
            }
        }
        List<GpuFigures> gpus = new AbstractList<>() {
            @Override
            public GpuFigures get(int g) {
                GpuFigures f = roles[quotient.roleOf(g)];
                return f.gpu() == g ? f : new GpuFigures(g, f.memory(), f.capacityBytes(), f.flops(), f.hbmBytes(), f.collectiveBufferBytes(),
                        f.collectiveTrafficBytes(), f.computeSeconds(), f.communicationSeconds(), f.idleSeconds());
            }

            @Override
            public int size() {
                return gpuInfo.size();
            }
        };
        long tokens = Overflow.mul(d.workload().batch(), d.workload().stepTokens());
        // The bubble of a balanced pipeline under its schedule; the measured idle time per role is in the figures.
        OptionalDouble bubble = program.pipeline().stages() > 1 ? OptionalDouble.of(program.pipeline().bubbleFraction()) : OptionalDouble.empty();
        Step step = new Step(d.workload().phase(), tokens, path.seconds(), path.communicationSeconds(), quotient.planIndices(path.path()), bubble);
        Analysis figures = new Analysis(gpus, step, Memory.kvBytesPerToken(graph), costs, List.of(), path.problem());
        if (path.problem() != null) return figures;
        return new Analysis(figures.gpus, step, figures.kvBytesPerToken, costs, Requirements.evaluate(d.requirements(), figures), null);
    }

    /** The figures of one role's schedule, under its representative GPU's id. */
    private static GpuFigures role(int gpu, int[] schedule, NodeCosts costs, Memory.PerGpu memory, double capacity, double makespan) {
        long flops = 0, hbm = 0, buffers = 0, traffic = 0;
        double compute = 0, communication = 0;
        for (int i : schedule) {
            CollectiveCost c = costs.collectiveAt(i);
            if (c != null) {
                buffers = Overflow.add(buffers, c.bufferBytes());
                traffic = Overflow.add(traffic, c.trafficBytes());
                communication += c.seconds();
            } else {
                flops = Overflow.add(flops, costs.flopsAt(i));
                hbm = Overflow.add(hbm, costs.bytesAt(i));
                compute += costs.secondsAt(i);
            }
        }
        double idle = Math.max(0, makespan - compute - communication);
        return new GpuFigures(gpu, memory, capacity, flops, hbm, buffers, traffic, compute, communication, idle);
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
                Math.max(ma.activationBytes(), mb.activationBytes()), Math.max(ma.workspaceBytes(), mb.workspaceBytes()));
        return new GpuFigures(a.gpu(), mem, Math.min(a.capacityBytes(), b.capacityBytes()), Math.max(a.flops(), b.flops()),
                Math.max(a.hbmBytes(), b.hbmBytes()), Math.max(a.collectiveBufferBytes(), b.collectiveBufferBytes()),
                Math.max(a.collectiveTrafficBytes(), b.collectiveTrafficBytes()), Math.max(a.computeSeconds(), b.computeSeconds()),
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
