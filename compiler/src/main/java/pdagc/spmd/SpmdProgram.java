package pdagc.spmd;

import java.util.List;
import pdagc.ir.DType;
import pdagc.mesh.Mesh;
import pdagc.mesh.Pipeline;

/**
 * The partitioned program: one list of operations, in order, that every rank of the mesh runs on
 * its own shards, with every collective in place. Ranks differ only in their mesh coordinates,
 * which fix their shards and their collective groups; memory grows with the program, not the GPUs.
 * With pipelining, each op belongs to a chunk, and a rank runs the chunks of its pp stage.
 *
 * <p>A training step's program has three parts: the forward pass (up to the loss), the backward
 * pass (from {@code backwardStart} on), each run once per micro-batch, and the ops that run once
 * per step ({@link #perStep}): gradient accumulation and everything after it (the gradients'
 * reduction over the data-parallel ranks, the optimizer step, the gather of the updated weights).
 *
 * @param backwardStart the index of the backward pass's first op, or -1 for a forward-only program
 */
public record SpmdProgram(Mesh mesh, DType dtype, Pipeline pipeline, List<SpmdNode> nodes, int backwardStart) {

    /** A forward-only program. */
    public SpmdProgram(Mesh mesh, DType dtype, Pipeline pipeline, List<SpmdNode> nodes) {
        this(mesh, dtype, pipeline, nodes, -1);
    }

    public boolean training() {
        return backwardStart >= 0;
    }

    /** Per op: whether it runs once per step (an accumulation, or reads a value that runs once per step), not once per micro-batch. */
    public boolean[] perStep() {
        boolean[] out = new boolean[nodes.size()];
        if (!training()) return out;
        for (SpmdNode n : nodes) {
            boolean step = n.op() instanceof pdagc.ir.Op.Accumulate;
            for (int i : n.inputs()) step |= out[i];
            out[n.id()] = step;
        }
        return out;
    }

    /** Per op: whether it belongs to the backward pass (run once per micro-batch, after its forward). */
    public boolean[] backward() {
        boolean[] out = new boolean[nodes.size()];
        if (!training()) return out;
        boolean[] step = perStep();
        for (int i = backwardStart; i < nodes.size(); i++) out[i] = !step[i];
        return out;
    }
}
