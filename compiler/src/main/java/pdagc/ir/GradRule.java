package pdagc.ir;

import java.util.ArrayList;
import java.util.List;

/**
 * An op's gradient rule, part of its definition: for each input and for its weight, whether a
 * gradient flows there and which forward values computing it reads besides the gradient of the
 * op's output. Reverse-mode differentiation ({@code lower/Autodiff}) emits one {@link Op.Grad} per
 * flowing gradient from this alone; the backward op's shape, sharding, kernel and cost then follow
 * from the forward op it differentiates, so the backward pass is derived, never templated.
 *
 * <p>What a gradient reads is what the forward pass must keep for the backward pass (or
 * recompute): a linear's input gradient reads only the output's gradient and the weight, its weight
 * gradient also reads its input; softmax's reads its own output. Stored activations are counted
 * from these reads.
 *
 * @param inputs one entry per forward input
 * @param weight the weight's entry, {@link Flow#NONE} for ops without a weight
 */
public record GradRule(List<Flow> inputs, Flow weight) {

    /** The forward output, as an entry of {@link Flow#reads()}. */
    public static final int OUTPUT = -1;

    /**
     * How a gradient reaches one input or the weight: not at all (token ids), as the output's
     * gradient itself (an add's operands, a bias's input), or computed from the output's gradient
     * and {@code reads} (forward input indices, or {@link #OUTPUT}).
     */
    public record Flow(Kind kind, List<Integer> reads) {
        public enum Kind { NONE, IDENTITY, COMPUTED }

        public static final Flow NONE = new Flow(Kind.NONE, List.of());
        public static final Flow IDENTITY = new Flow(Kind.IDENTITY, List.of());

        /** A computed gradient reading these forward values (input indices or {@link GradRule#OUTPUT}). */
        public static Flow from(Integer... values) {
            return new Flow(Kind.COMPUTED, List.of(values));
        }
    }

    /** An op without a weight whose inputs get these flows. */
    public static GradRule of(Flow... inputs) {
        return new GradRule(List.of(inputs), Flow.NONE);
    }

    /** An op with a weight. */
    public static GradRule withWeight(Flow weight, Flow... inputs) {
        return new GradRule(List.of(inputs), weight);
    }

    /** The indices of the inputs that a gradient reaches. */
    public List<Integer> flowing() {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) if (inputs.get(i).kind() != Flow.Kind.NONE) out.add(i);
        return out;
    }
}
