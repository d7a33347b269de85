package pdagc.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import pdagc.driver.Compiler;
import pdagc.driver.MaterializedPlan;
import pdagc.ir.Op;
import pdagc.source.SourceFile;
import pdagc.spmd.SpmdNode;

/** The tiny plan that verify runs makes the same choices as the real one. */
class ShrinkTest {

    /**
     * A training step under ZeRO: the tiny plan keeps the strategy's ZeRO stage, and its sizes keep
     * the factors of the axes the optimizer shards over (dp and cp, which no annotation names), so
     * each weight's optimizer step runs on the same shard in both plans, with the same
     * reduce-scatter before it and all-gather after it. Before, the tiny plan lost the stage (every
     * ZeRO plan was verified as ZeRO 0), and with it, a vocabulary of 32,000 and a width of 4,096
     * shrank to 8 and could not be split 16 ways.
     */
    @Test
    void aZeroPlanShrinksToOneWithTheSameShards() {
        String source = """
                import std.hardware
                import std.blocks
                model M { vocab 32000  hidden 4096  heads 32  kv_heads 8  layers 2  ffn 14336  norm rmsnorm  act silu  layer gated_dense_layer }
                cluster C { gpu H100  count 32 }
                workload W { batch 32  seq 64  phase train }
                strategy S { mesh [dp 8, cp 2, tp 2]  sequence_parallel true  zero 2 }
                deploy D = M on C with S for W
                """;
        MaterializedPlan full = plan(new Compiler(Set.of()), source);
        MaterializedPlan tiny = plan(new Compiler(Set.of()).rewriting(d -> Shrink.run(d).deployment()), source);
        assertEquals(full.deployment().strategy().training(), tiny.deployment().strategy().training());
        Set<String> fullSteps = optimizerSteps(full);
        assertTrue(fullSteps.stream().anyMatch(s -> s.contains("dp")), fullSteps.toString());
        assertEquals(fullSteps, optimizerSteps(tiny));
        assertTrue(tiny.verify(1).ok());
    }

    private static MaterializedPlan plan(Compiler c, String source) {
        List<MaterializedPlan> plans = c.check(SourceFile.of("zero.pdag", null, source));
        assertFalse(c.diagnostics().hasErrors(), c.diagnostics().sorted().toString());
        return plans.get(0);
    }

    /** Each optimizer step and the collectives around it, by weight (layer numbers left out), with their shardings. */
    private static Set<String> optimizerSteps(MaterializedPlan p) {
        Set<String> out = new TreeSet<>();
        for (SpmdNode n : p.spmd().nodes()) {
            boolean step = n.op() instanceof Op.Update || n.name().contains(".adam") || n.name().contains(".accumulate");
            if (!step) continue;
            String op = n.op() instanceof Op.Collective c ? c.collective() + " over " + c.axes() : n.op().name();
            out.add(n.name().replaceAll("\\.\\d+\\.", ".#.") + " " + op + " " + n.sharding());
        }
        return out;
    }
}
