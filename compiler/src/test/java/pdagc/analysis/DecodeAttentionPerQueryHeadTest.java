package pdagc.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import pdagc.driver.Compile;
import pdagc.driver.MaterializedPlan;

/**
 * {@code decode_attention per_query_head}: a decode kernel with a thread block per query head reads
 * a group's key/value head once per query head. A grouped-query model's decode step gets slower
 * (its attention streams as much as multi-head attention would), its KV cache does not grow, and a
 * model without groups is unchanged.
 */
class DecodeAttentionPerQueryHeadTest {
    static final String DEPLOY = """
            import std.hardware
            import std.models.%s
            cluster C { gpu H100  count 1 }
            workload W { batch 64  phase decode  seq 1  context 4096  dtype fp8%s }
            strategy S { mesh [tp 1] }
            deploy D = M on C with S for W
            """;

    private static MaterializedPlan plan(String model, String name, boolean perHead) {
        return Compile.source(String.format(DEPLOY, model, perHead ? "  decode_attention per_query_head" : "").replace("deploy D = M", "deploy D = " + name));
    }

    @Test
    void aGroupedQueryModelReadsItsKeysAndValuesOncePerQueryHead() {
        MaterializedPlan grouped = plan("llama_3_8b", "Llama_3_8b", false), perHead = plan("llama_3_8b", "Llama_3_8b", true);
        double g = grouped.analysis().step().seconds(), p = perHead.analysis().step().seconds();
        assertTrue(p > 1.5 * g, p + " s against " + g + " s: 4 query heads per key/value head, the KV traffic of multi-head attention");
        assertEquals(grouped.analysis().largestMemory().memory().kvCacheBytes(), perHead.analysis().largestMemory().memory().kvCacheBytes(),
                "the cache holds the key/value heads either way");
    }

    @Test
    void aModelWithoutGroupsIsUnchanged() {
        double g = plan("olmoe_1b_7b", "Olmoe_1b_7b", false).analysis().step().seconds();
        double p = plan("olmoe_1b_7b", "Olmoe_1b_7b", true).analysis().step().seconds();
        assertEquals(g, p, 1e-15);
    }
}
