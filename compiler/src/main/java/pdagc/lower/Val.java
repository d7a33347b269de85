package pdagc.lower;

import pdagc.ir.Shape;

/** What a name or expression in a block body stands for: a tensor (an IR node) or a whole number. */
sealed interface Val {
    record Tensor(int node, Shape shape) implements Val {}

    record Int(long value) implements Val {}

    static String describe(Val v) {
        return v instanceof Tensor t ? "a tensor " + t.shape() : "the number " + ((Int) v).value();
    }
}
