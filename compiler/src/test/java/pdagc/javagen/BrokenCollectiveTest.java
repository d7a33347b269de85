package pdagc.javagen;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import pdagc.driver.MaterializedPlan;
import pdagc.ir.CollectiveKind;
import pdagc.runtime.CollectiveSemantics;
import pdagc.verify.Verify;

/**
 * The comparison has teeth: a runtime whose all-reduce gives each member back its own part (as if
 * the reduction were skipped) runs the same generated programs to completion, and the comparison
 * with the model fails, at an all-reduce's output on a named GPU.
 */
class BrokenCollectiveTest {
    static final CollectiveSemantics SKIPS_ALL_REDUCE = (kind, how, axes, dim, toDim, parts, me) ->
            kind == CollectiveKind.ALL_REDUCE ? parts.get(me) : CollectiveSemantics.REFERENCE.apply(kind, how, axes, dim, toDim, parts, me);

    @ParameterizedTest
    @ValueSource(strings = {"examples/seed_moe_ep16_tp4.pdag", "examples/llama3_8b_dp_tp_pp.pdag"})
    void anAllReduceThatDoesNotReduceIsCaught(String file) throws ClassNotFoundException {
        MaterializedPlan plan = GeneratedPlans.shrunk(file);
        assertTrue(GeneratedPlans.runAndCompare(plan, CollectiveSemantics.REFERENCE).ok(), "the plan itself agrees");
        Verify.Report r = GeneratedPlans.runAndCompare(plan, SKIPS_ALL_REDUCE);
        assertFalse(r.ok(), r.summary());
        assertTrue(r.where().startsWith("GPU ") && r.where().contains("all_reduce"), r.summary());
    }
}
