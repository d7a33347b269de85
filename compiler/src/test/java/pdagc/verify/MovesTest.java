package pdagc.verify;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import pdagc.driver.Compile;
import pdagc.driver.MaterializedPlan;

/** verify proves the plan check accepted only where the tiny plan makes its moves: the check that says so. */
class MovesTest {
    static MaterializedPlan plan(String strategy, int gpus) {
        return Compile.source(StrategyMatrixTest.deploy(TrainingTest.dense("8"), gpus, strategy, TrainingTest.TRAIN));
    }

    @Test
    void aShrunkPlanMakesTheRealPlansMoves() {
        MaterializedPlan real = plan("mesh [dp 2, tp 2] zero 3", 4);
        MaterializedPlan tiny = TrainingTest.shrunk("mesh [dp 2, tp 2] zero 3", 4);
        assertNull(Moves.differ(real.spmd(), tiny.spmd()));
        assertTrue(Moves.of(real.spmd()).size() > 20);
    }

    @Test
    void anotherPlanDoesNot() {
        String d = Moves.differ(plan("mesh [dp 2, tp 2] zero 1", 4).spmd(), plan("mesh [dp 2, tp 2] zero 3", 4).spmd());
        assertNotNull(d);
        assertTrue(d.startsWith("only in the real plan "), d);
        assertNotNull(Moves.differ(plan("mesh [dp 4]", 4).spmd(), plan("mesh [tp 4]", 4).spmd()));
    }
}
