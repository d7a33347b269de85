package pdagc.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import pdagc.dag.DagNode;
import pdagc.driver.Compile;
import pdagc.driver.MaterializedPlan;

/**
 * Forward FLOPs per token against Kaplan et al. 2020 (../shared/reference): {@code 2N + 2·n_layer·
 * n_ctx·d_attn}, N the non-embedding parameters (12·n_layer·d² for a GPT layer with d_ff = 4d). The
 * matrix products of the layers give exactly 2N per token. Attention gives twice Kaplan's term,
 * because pdagc counts the full S×T square of scores and weighted sums (the unfused IR computes it)
 * where Kaplan counts the causal average, half of it.
 */
class KaplanFlopsTest {
    static final long L = 4, D = 1024, CTX = 2048;

    @Test
    void layerMatmulsAre2NPerTokenAndAttentionIsTwiceKaplansCausalTerm() {
        MaterializedPlan p = Compile.source("""
                import std.hardware
                import std.blocks
                model Gpt { vocab 32000  hidden 1024  heads 16  layers 4  ffn 4 * hidden  norm layernorm  act gelu  layer dense_layer }
                cluster C { gpu H100  count 1  per_node 8 }
                workload W { batch 1  seq 2048  phase prefill  dtype bf16 }
                strategy S { mesh [tp 1] }
                deploy D = Gpt on C with S for W
                """);
        long linear = 0, attention = 0;
        for (DagNode n : p.dag().nodes()) {
            if (n.layer() < 0) continue;
            long f = p.analysis().nodes().flops(n.index());
            if (n.op() instanceof pdagc.ir.Op.Linear) linear += f;
            if (n.op() instanceof pdagc.ir.Op.AttnScores || n.op() instanceof pdagc.ir.Op.AttnContext) attention += f;
        }
        long tokens = CTX;
        long n = 12 * L * D * D;
        assertEquals(2 * n * tokens, linear);
        long kaplanAttention = 2 * L * CTX * D;
        assertEquals(2 * kaplanAttention * tokens, attention);
    }
}
