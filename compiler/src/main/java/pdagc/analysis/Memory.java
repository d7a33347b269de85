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

    public static PerGpu perGpu(SpmdProgram p, WorkloadSpec workload) {
        Mesh mesh = p.mesh();
        long weights = 0;
        long kv = 0;
        int bytes = p.dtype().bytes();
        for (SpmdNode n : p.nodes()) {
            weights += WeightLayout.localElements(n, p, mesh) * bytes;
            if (n.op() instanceof Op.AttnScores || n.op() instanceof Op.AttnContext) {
                SpmdNode keysValues = p.nodes().get(n.inputs().get(1));
                long perToken = keysValues.local().last();
                kv += perToken * keysValues.local().dim(0) * workload.context() * bytes;
            }
            if (n.op() instanceof Op.MlaScores) {
                for (int i : n.op().cachedInputs()) {
                    SpmdNode cached = p.nodes().get(n.inputs().get(i));
                    kv += cached.local().last() * cached.local().dim(0) * workload.context() * bytes;
                }
            }
        }
        return new PerGpu(weights, kv);
    }
}
