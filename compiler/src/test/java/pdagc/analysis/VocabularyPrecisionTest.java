package pdagc.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.BitSet;
import org.junit.jupiter.api.Test;
import pdagc.dag.DagNode;
import pdagc.driver.Compile;
import pdagc.driver.MaterializedPlan;
import pdagc.ir.DType;
import pdagc.ir.Op;

/**
 * The vocabulary's own element type ({@code dtype fp8 { vocabulary ... }}): under fp8 the model's
 * embedding and head blocks stay in 16 bits unless the workload says otherwise, as fp8 engines
 * quantize only the linear layers between them. Llama-3.1-8B-shaped (the stdlib's Llama 3 8B) on one
 * H100, a decode step: fp8 against {@code fp8 { vocabulary fp8 }}.
 */
class VocabularyPrecisionTest {
    static String deploy(String dtype) {
        return """
                import std.hardware
                import std.models.llama_3_8b
                cluster C { gpu H100  count 1 }
                workload W { batch 8  phase decode  context 1024  dtype %s }
                strategy S { mesh [tp 1] }
                deploy D = Llama_3_8b on C with S for W
                """.formatted(dtype);
    }

    private static boolean vocabularyPart(DagNode n) {
        return n.name().startsWith("embed.") || n.name().startsWith("head.");
    }

    @Test
    void fp8KeepsTheEmbeddingAndHeadIn16BitsAndNothingElse() {
        MaterializedPlan fp8 = Compile.source(deploy("fp8"));
        MaterializedPlan all = Compile.source(deploy("fp8 { vocabulary fp8 }"));
        assertEquals(DType.BF16, fp8.dag().precision().vocabulary());
        assertEquals(DType.FP8, all.dag().precision().vocabulary());
        assertEquals("fp8", fp8.dag().precision().text(), "the default is not shown");
        assertEquals("fp8 (vocabulary fp8)", all.dag().precision().text());
        NodeCosts a = fp8.analysis().nodes(), b = all.analysis().nodes();
        long table = 0;
        int head = 0;
        BitSet seen = new BitSet();
        for (DagNode n : fp8.dag().nodes()) {
            int i = n.index();
            assertEquals(a.flops(i), b.flops(i), n.id());
            if (!vocabularyPart(n)) {
                assertEquals(a.bytes(i), b.bytes(i), n.id());
                assertEquals(a.seconds(i), b.seconds(i), n.id());
                continue;
            }
            if (!seen.get(n.program())) {
                seen.set(n.program());
                table += a.weightElements(n.program());
            }
            if (n.op() instanceof Op.Linear) {
                head++;
                long weight = a.weightElements(n.program());
                assertEquals(128256L * 4096, weight, "the output projection");
                assertEquals(b.bytes(i) + weight, a.bytes(i), n.id() + ": its weight read in 2 bytes, not 1");
                assertTrue(a.seconds(i) > b.seconds(i), n.id());
            }
        }
        assertEquals(1, head);
        assertTrue(table > 2L * 128256 * 4096, "the embedding's and the head's tables (and the final norm's scale)");
        long w16 = fp8.analysis().gpus().get(0).memory().weightBytes(), w8 = all.analysis().gpus().get(0).memory().weightBytes();
        assertEquals(table, w16 - w8, "each of the vocabulary's weights takes a byte more");
        assertTrue(fp8.analysis().step().seconds() > all.analysis().step().seconds());
    }

    /** Outside fp8 the vocabulary's parts take the workload's type: bf16 says nothing new, and fp16 and fp32 plans stay uniform. */
    @Test
    void otherTypesKeepTheVocabularyInTheirOwn() {
        for (String t : new String[] {"bf16", "fp16", "fp32"}) {
            MaterializedPlan p = Compile.source(deploy(t));
            assertEquals(p.dag().precision().dtype(), p.dag().precision().vocabulary(), t);
            assertEquals(t, p.dag().precision().text());
        }
        MaterializedPlan bf16 = Compile.source(deploy("bf16"));
        MaterializedPlan same = Compile.source(deploy("bf16 { vocabulary bf16 }"));
        assertEquals(bf16.dag().precision(), same.dag().precision());
        assertEquals(bf16.analysis().step().seconds(), same.analysis().step().seconds());
    }
}
