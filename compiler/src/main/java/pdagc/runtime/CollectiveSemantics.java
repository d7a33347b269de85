package pdagc.runtime;

import java.util.List;
import pdagc.ir.CollectiveKind;
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

    Value apply(CollectiveKind kind, List<String> axes, int dim, int toDim, List<Value> parts, int me);
}
