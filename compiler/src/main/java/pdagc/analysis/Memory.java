package pdagc.analysis;

import pdagc.ir.Op;
import pdagc.mesh.Mesh;
import pdagc.partition.SpmdNode;
import pdagc.partition.WeightLayout;
import pdagc.partition.SpmdProgram;
import pdagc.sem.WorkloadSpec;

/**
 * Memory of one GPU from its program: the bytes of its weight shards (each weight dimension split
 * as the op's input and output say it is) and of its KV cache (the keys its scores read and the values its weighted sums read, of its heads, for
 * its sequences, over the workload's context). Activations come with the liveness analysis.
 */
public final class Memory {
    private Memory() {}

    /** Bytes on one GPU. */
    public record PerGpu(long weightBytes, long kvCacheBytes) {
        public long total() {
            return weightBytes + kvCacheBytes;
        }
    }

    /** The GPU that needs the most: the largest of {@link #perStage}. */
    public static PerGpu perGpu(SpmdProgram p, WorkloadSpec workload) {
        PerGpu most = new PerGpu(0, 0);
        for (PerGpu s : perStage(p, workload)) if (s.total() > most.total()) most = s;
        return most;
    }

    /**
     * Per pipeline stage (all GPUs of a stage hold the same): the weights of its chunks' ops, and
     * the KV cache of its layers for every micro-batch in flight (all of them, since a prefill's or
     * decode's cache lives until the step ends).
     */
    public static java.util.List<PerGpu> perStage(SpmdProgram p, WorkloadSpec workload) {
        Mesh mesh = p.mesh();
        int stages = p.pipeline().stages();
        long[] weights = new long[stages];
        long[] kv = new long[stages];
        int bytes = p.dtype().bytes();
        for (SpmdNode n : p.nodes()) {
            int stage = p.pipeline().stageOf(n.chunk());
            weights[stage] += WeightLayout.localElements(n, p, mesh) * bytes;
            if (n.op() instanceof Op.AttnScores || n.op() instanceof Op.AttnContext) {
                SpmdNode keysValues = producer(p, p.nodes().get(n.inputs().get(1)));
                long perToken = keysValues.local().last();
                long positions = workload.context() * keysValues.local().dim(1) / keysValues.shape().dim(1);
                kv[stage] += perToken * keysValues.local().dim(0) * positions * bytes * p.pipeline().microBatches();
            }
        }
        java.util.List<PerGpu> out = new java.util.ArrayList<>();
        if (weights.length == 0) return out;
        for (int s = 0; s < stages; s++) out.add(new PerGpu(weights[s], kv[s]));
        return out;
    }

    /** The op that made a value, before the collectives and transfers that moved it (its cache lives there). */
    private static SpmdNode producer(SpmdProgram p, SpmdNode n) {
        SpmdNode cur = n;
        while (cur.op() instanceof Op.Collective || cur.op() instanceof Op.Slice || cur.op() instanceof Op.Transfer) {
            cur = p.nodes().get(cur.inputs().get(0));
        }
        return cur;
    }
}
