package pdagc.ir;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A contraction op with a weight, whole in one definition: its name, its factor spec (the
 * activation first, the weight second, e.g. {@code "bsk,kn->bsn"}), the name of each weight
 * dimension (the IR text prints them; those the activation lacks are the call's named arguments)
 * and the annotations it accepts. Everything else is read off the spec: the result's shape (each
 * factor sized from the activation or from its named argument), the weight's shape and layout,
 * the sharding rule and the FLOPs; its kernel is the generic contraction. Blocks call it through
 * an {@link OpSet} that lists it; it lowers to {@link Op.Einsum}.
 */
public record ContractionDef(String name, Contraction spec, List<String> weightNames, Set<Parallel.Style> annotations) {
    public ContractionDef {
        if (spec.operandCount() != 2) throw new IllegalArgumentException(name + ": a contraction with a weight has two operands, not " + spec);
        if (weightNames.size() != spec.operand(1).length()) {
            throw new IllegalArgumentException(name + ": " + weightNames.size() + " weight names for " + spec.operand(1));
        }
        weightNames = List.copyOf(weightNames);
        annotations = Set.copyOf(annotations);
    }

    public ContractionDef(String name, String spec, List<String> weightNames, Set<Parallel.Style> annotations) {
        this(name, Contraction.parse(spec), weightNames, annotations);
    }

    /** The named arguments a call gives: the weight's factors that the activation lacks. */
    public List<String> arguments() {
        List<String> out = new ArrayList<>();
        String w = spec.operand(1);
        for (int i = 0; i < w.length(); i++) if (spec.activation().indexOf(w.charAt(i)) < 0) out.add(weightNames.get(i));
        return out;
    }

    /**
     * The weight's shape for an activation of {@code activation}'s shape and the named arguments'
     * values (in the order of {@link #arguments()}).
     */
    public Shape weight(Shape activation, List<Long> arguments) {
        String w = spec.operand(1);
        long[] dims = new long[w.length()];
        int next = 0;
        for (int i = 0; i < w.length(); i++) {
            int a = spec.activation().indexOf(w.charAt(i));
            dims[i] = a >= 0 ? activation.dim(a) : arguments.get(next++);
        }
        return new Shape(dims);
    }

    /** The result's shape: each factor sized from the activation, else from the weight. */
    public Shape result(Shape activation, Shape weight) {
        String res = spec.result();
        long[] dims = new long[res.length()];
        for (int j = 0; j < res.length(); j++) {
            char f = res.charAt(j);
            int a = spec.activation().indexOf(f);
            dims[j] = a >= 0 ? activation.dim(a) : weight.dim(spec.operand(1).indexOf(f));
        }
        return new Shape(dims);
    }
}
