package pdagc.analysis;

import java.util.List;
import pdagc.ir.Op;
import pdagc.mesh.MeshAxes;
import pdagc.sem.Training;
import pdagc.spmd.SpmdNode;
import pdagc.spmd.SpmdProgram;

/**
 * Which stream of its GPU each op of a training step runs on. Without overlap every op runs on one
 * stream, in schedule order. With {@code overlap_grad_reduce} (Megatron's
 * {@code --overlap-grad-reduce}) each weight gradient's reduction over the data-parallel axes (its
 * all-reduce, or under ZeRO its reduce-scatter, over dp, cp and ep; an expert's over the axes that
 * split its tokens, edp) runs on a second stream as soon as the last micro-batch has made that
 * gradient, so it overlaps the rest of the backward pass, one reduction at a time in the order
 * the gradients are made; the optimizer step still waits for its reduction (their data edge). A
 * reduction over a tensor-parallel axis (a norm's gradient under sequence parallelism: Megatron
 * all-reduces it after the backward pass) and ZeRO's all-gather of the updated weights stay on
 * the first stream, with everything else.
 *
 * <p>The accumulation of a gradient over the micro-batches (whose work is charged in the
 * gradient's kernel, {@link OpCost}) comes with its reduction: on the second stream, just before
 * it, so that the reduction waits for the last micro-batch's gradient and not for the first
 * stream's schedule, where Megatron's does not.
 */
final class Streams {
    private Streams() {}

    /** An op's stream. */
    enum Stream {
        /** The stream of computation (and of collectives not overlapped). */
        MAIN,
        /** The second stream: the gradients' accumulations and reductions. */
        SIDE
    }

    /** What a value of the step's last part carries: a weight gradient after accumulation (an expert's apart), or not. */
    private enum Carries { NOTHING, GRADIENT, EXPERT_GRADIENT }

    /** Each program op's stream; every op on {@link Stream#MAIN} unless {@code training} overlaps the gradients' reduction. */
    static Stream[] of(SpmdProgram program, Training training) {
        List<SpmdNode> nodes = program.nodes();
        Stream[] out = new Stream[nodes.size()];
        java.util.Arrays.fill(out, Stream.MAIN);
        if (!program.training() || !training.overlapGradReduce()) return out;
        boolean[] perStep = program.perStep();
        Carries[] carries = new Carries[nodes.size()];
        for (SpmdNode n : nodes) {
            Op op = n.op();
            Carries c = Carries.NOTHING;
            if (op instanceof Op.Accumulate a) {
                c = a.forward() instanceof Op.ExpertLinear ? Carries.EXPERT_GRADIENT : Carries.GRADIENT;
                out[n.id()] = Stream.SIDE;
            } else if (perStep[n.id()] && (op instanceof Op.Collective || op instanceof Op.Binary)) {
                // A reduction's steps, or a tied weight's contributions summed.
                c = carries[n.inputs().get(0)];
            }
            carries[n.id()] = c;
            // An expert's gradient is a partial sum over the axes that split its entries only (dp, cp, edp, whatever factors
            // they fold onto); another weight's also over tp under sequence parallelism (a norm's), which is not overlapped.
            if (op instanceof Op.Collective coll && perStep[n.id()]
                    && (c == Carries.EXPERT_GRADIENT || c == Carries.GRADIENT && dataParallel(coll.axes()))) {
                out[n.id()] = Stream.SIDE;
            }
        }
        return out;
    }

    /** Whether every axis is (a factor of) dp, cp or ep: not tp or pp. */
    static boolean dataParallel(List<String> axes) {
        for (String a : axes) {
            int dot = a.indexOf('.');
            String base = dot < 0 ? a : a.substring(0, dot);
            if (!(base.equals(MeshAxes.DP) || base.equals(MeshAxes.CP) || base.equals(MeshAxes.EP))) return false;
        }
        return !axes.isEmpty();
    }
}
