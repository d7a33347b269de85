package pdagc.runtime;

import java.util.List;
import pdagc.ir.CollectiveKind;
import pdagc.ir.Reduction;
import pdagc.verify.Semantics;
import pdagc.verify.Value;

/**
 * What a member of a collective receives from the members' contributions (in group order). The
 * reference runtime uses the evaluator's rules ({@link #REFERENCE}); tests substitute a broken rule
 * to show that a wrong collective is caught by the comparison with the model.
 */
@FunctionalInterface
public interface CollectiveSemantics {
    CollectiveSemantics REFERENCE = Semantics::collective;

    /** {@code how} combines the members' values in an all-reduce: their sum, or their maximum. */
    Value apply(CollectiveKind kind, Reduction how, List<String> axes, int dim, int toDim, List<Value> parts, int me);
}
