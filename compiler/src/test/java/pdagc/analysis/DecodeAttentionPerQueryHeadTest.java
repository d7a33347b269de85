package pdagc.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import pdagc.driver.Compile;
import pdagc.driver.MaterializedPlan;

/**
 * {@code decode_attention per_query_head}: a decode kernel with a thread block per query head
 * streams a group's key/value head through the multiprocessors once per query head. HBM delivers
 * it once and the L2 cache the rest: the kernel takes the time of multi-head attention scaled by
 * the larger of the group's share of the traffic and the L2's time, which moves each byte in once
 * and out once per query head ({@code (1 + 1/g)} times {@code GpuSpec.l2ShareOfHbm}), on the part
 * of the kernel's time that grows with the context; its per-block part is unchanged. A grouped-query model's decode step gets slower, its KV cache does
 * not grow, and a model without groups is unchanged.
 */
class DecodeAttentionPerQueryHeadTest {
    static final String DEPLOY = """
            import std.hardware
            import std.models.%s
            cluster C { gpu H100%s  count 1 }
            workload W { batch 64  phase decode  seq 1  context %d  dtype fp8%s }
            strategy S { mesh [tp 1] }
            deploy D = M on C with S for W
            """;

    private static MaterializedPlan plan(String model, String name, boolean perHead, String gpu) {
        return plan(model, name, perHead, gpu, 4096);
    }

    private static MaterializedPlan plan(String model, String name, boolean perHead, String gpu, int context) {
        return Compile.source(String.format(DEPLOY, model, gpu, context, perHead ? "  decode_attention per_query_head" : "")
                .replace("deploy D = M", "deploy D = " + name));
    }

    private static double step(boolean perHead, String gpu) {
        return step(perHead, gpu, 4096);
    }

    private static double step(boolean perHead, String gpu, int context) {
        return plan("llama_3_8b", "Llama_3_8b", perHead, gpu, context).analysis().step().seconds();
    }

    @Test
    void withoutAFasterL2ItReadsItsKeysAndValuesOncePerQueryHeadFromHbm() {
        // An L2 no faster than the HBM's attainable rate (3.35 TB/s x 0.9): every re-read costs what HBM does.
        double g = step(false, ""), p = step(true, " { l2_bandwidth 3.015 TB/s }");
        assertTrue(p > 1.5 * g, p + " s against " + g + " s: 4 query heads per key/value head, the KV traffic of multi-head attention");
        MaterializedPlan grouped = plan("llama_3_8b", "Llama_3_8b", false, ""), perHead = plan("llama_3_8b", "Llama_3_8b", true, "");
        assertEquals(grouped.analysis().largestMemory().memory().kvCacheBytes(), perHead.analysis().largestMemory().memory().kvCacheBytes(),
                "the cache holds the key/value heads either way");
    }

    @Test
    void theGroupsReReadsComeFromTheL2AtItsRate() {
        double grouped = step(false, ""), fromHbm = step(true, " { l2_bandwidth 3.015 TB/s }"), h100 = step(true, "");
        double fastL2 = step(true, " { l2_bandwidth 1000 TB/s }");
        assertTrue(grouped < h100 && h100 < fromHbm, grouped + " < " + h100 + " < " + fromHbm);
        // Everything but the attention kernel is the same in the three plans: the kernel's time is the multi-head time times
        // the share, max(1/4, min(1, (1 + 1/4) 3.015 / l2)), so the differences stand in the ratio of (1 - share).
        double share = 1.25 * 3.35e12 * 0.9 / 9.86e12;
        assertEquals((1 - share) / (1 - 0.25), (fromHbm - h100) / (fromHbm - fastL2), 1e-9,
                "the H100's L2 (9.86 TB/s) against one so fast that HBM's share of the group (a quarter) bounds it");
    }

    /**
     * Only the part of the measured kernel's time that grows with the context is traffic the L2
     * shares; what it spends per block (launch, each block's start, queries in, output out) it spends
     * for every query head's block either way. At the shortest measured context (127) that part is
     * most of the kernel, so the L2 saves less of the step there than at 4096.
     */
    @Test
    void theL2SharesTheTrafficNotThePerBlockCost() {
        String hbm = " { l2_bandwidth 3.015 TB/s }", fast = " { l2_bandwidth 1000 TB/s }";
        double shortSaved = (step(true, hbm, 127) - step(true, fast, 127)) / (step(true, hbm, 127) - step(false, "", 127));
        double longSaved = (step(true, hbm, 4096) - step(true, fast, 4096)) / (step(true, hbm, 4096) - step(false, "", 4096));
        assertTrue(shortSaved < longSaved, shortSaved + " of the per-query-head overcharge saved at 127 against " + longSaved + " at 4096");
    }

    @Test
    void aModelWithoutGroupsIsUnchanged() {
        double g = plan("olmoe_1b_7b", "Olmoe_1b_7b", false, "").analysis().step().seconds();
        double p = plan("olmoe_1b_7b", "Olmoe_1b_7b", true, "").analysis().step().seconds();
        assertEquals(g, p, 1e-15);
    }
}
