package pdagc.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import pdagc.dag.DagNode;
import pdagc.driver.Compile;
import pdagc.driver.MaterializedPlan;
import pdagc.ir.DType;
import pdagc.ir.Op;

/**
 * The experts' own element type ({@code dtype fp8 { experts fp16 }}): Mixtral-8x7B on two H100s
 * (tp 2), one prefill step, fp8 with its experts in fp16 against plain fp8. The expert products'
 * weights double and their products run at the 16-bit rate; every other op, every collective, the
 * KV cache, the activations and the workspace are the same figures.
 */
class ExpertPrecisionTest {
    static String deploy(String dtype) {
        return deploy(dtype, "H100");
    }

    static String deploy(String dtype, String gpu) {
        return """
                import std.hardware
                import std.models.mixtral_8x7b
                cluster C { gpu %s  count 2 }
                workload W { batch 4  seq 256  dtype %s }
                strategy S { mesh [tp 2] }
                deploy D = Mixtral_8x7b on C with S for W
                """.formatted(gpu, dtype);
    }

    @Test
    void fp16ExpertsDoubleTheExpertWeightsAndChangeNothingElse() {
        MaterializedPlan fp8 = Compile.source(deploy("fp8"));
        MaterializedPlan mixed = Compile.source(deploy("fp8 { experts fp16 }"));
        assertEquals(DType.FP8, mixed.dag().precision().dtype());
        assertEquals(DType.FP16, mixed.dag().precision().experts());
        NodeCosts a = fp8.analysis().nodes(), b = mixed.analysis().nodes();
        List<DagNode> nodes = fp8.dag().nodes();
        assertEquals(nodes.size(), mixed.dag().nodes().size());
        int experts = 0;
        for (DagNode n : nodes) {
            int i = n.index();
            assertEquals(a.flops(i), b.flops(i), n.id());
            if (n.op() instanceof Op.ExpertLinear) {
                experts++;
                long weight = a.weightElements(n.program());
                assertTrue(weight > 0, n.id());
                assertEquals(a.bytes(i) + weight, b.bytes(i), n.id() + ": the weight read in 2 bytes instead of 1, activations 2 bytes either way");
                assertTrue(b.seconds(i) > a.seconds(i), n.id() + ": at the 16-bit rate and twice the weight bytes");
            } else {
                assertEquals(a.bytes(i), b.bytes(i), n.id());
                assertEquals(a.seconds(i), b.seconds(i), n.id());
            }
        }
        assertTrue(experts > 0, "the plan has expert products");

        for (int g = 0; g < 2; g++) {
            Memory.PerGpu m8 = fp8.analysis().gpus().get(g).memory(), m16 = mixed.analysis().gpus().get(g).memory();
            long expertWeights = 0, vocabulary = 0, other = 0;
            BitSet seen = new BitSet();
            for (DagNode n : nodes) {
                if (n.gpu() != g || seen.get(n.program())) continue;
                seen.set(n.program());
                if (n.op() instanceof Op.ExpertLinear) expertWeights += a.weightElements(n.program());
                else if (n.name().startsWith("embed.") || n.name().startsWith("head.")) vocabulary += a.weightElements(n.program());
                else other += a.weightElements(n.program());
            }
            assertTrue(vocabulary > 0, "the embedding and head tables");
            other += 2 * vocabulary;
            assertEquals(expertWeights + other, m8.weightBytes(), "fp8: a byte per weight, two for the embedding's and head's");
            assertEquals(2 * expertWeights + other, m16.weightBytes(), "GPU " + g + ": the expert weights double, the others stay fp8");
            assertEquals(m8.kvCacheBytes(), m16.kvCacheBytes());
            assertEquals(m8.activationBytes(), m16.activationBytes());
            assertEquals(m8.workspaceBytes(), m16.workspaceBytes());
        }
        assertTrue(mixed.analysis().step().seconds() > fp8.analysis().step().seconds());
    }

    /** The experts in fp16 cost what they cost in an fp16 plan: same weights, same 16-bit activations, same rate and microbenchmarks. */
    @Test
    void fp16ExpertsCostWhatTheyCostInAnFp16Plan() {
        MaterializedPlan fp16 = Compile.source(deploy("fp16"));
        MaterializedPlan mixed = Compile.source(deploy("fp8 { experts fp16 }"));
        NodeCosts a = fp16.analysis().nodes(), b = mixed.analysis().nodes();
        for (DagNode n : fp16.dag().nodes()) {
            if (!(n.op() instanceof Op.ExpertLinear)) continue;
            assertEquals(a.bytes(n.index()), b.bytes(n.index()), n.id());
            assertEquals(a.seconds(n.index()), b.seconds(n.index()), n.id());
        }
    }

    /** Not saying it is saying the workload's dtype: the same plan, figure for figure. */
    @Test
    void expertsInTheWorkloadsOwnTypeChangeNothing() {
        MaterializedPlan plain = Compile.source(deploy("fp8"));
        MaterializedPlan same = Compile.source(deploy("fp8 { experts fp8 }"));
        assertEquals(plain.dag().precision(), same.dag().precision());
        NodeCosts a = plain.analysis().nodes(), b = same.analysis().nodes();
        for (DagNode n : plain.dag().nodes()) {
            assertEquals(a.bytes(n.index()), b.bytes(n.index()), n.id());
            assertEquals(a.seconds(n.index()), b.seconds(n.index()), n.id());
        }
        assertEquals(plain.analysis().step().seconds(), same.analysis().step().seconds());
    }

    /**
     * fp32 experts in a bf16 plan write 4-byte values: the expert products' outputs are read at 4
     * bytes by what consumes them and live at 4 bytes, and the products read their bf16 inputs at 2
     * (on H200s: 93 GB of fp32 experts per GPU do not fit an H100).
     */
    @Test
    void fp32ExpertsWriteFourByteValuesThatTheirConsumersRead() {
        MaterializedPlan bf16 = Compile.source(deploy("bf16", "H200"));
        MaterializedPlan fp32 = Compile.source(deploy("bf16 { experts fp32 }", "H200"));
        NodeCosts a = bf16.analysis().nodes(), b = fp32.analysis().nodes();
        int consumers = 0;
        for (DagNode n : bf16.dag().nodes()) {
            int i = n.index();
            if (n.op() instanceof Op.ExpertLinear) {
                OpCost c = OpCost.of(n.op(), n.inputs(), n.output(), a.weightElements(n.program()), DType.FP32, new int[] {2});
                assertEquals(c.bytes(), b.bytes(i), n.id());
                assertEquals(n.output().elements() * 4, c.bytesWritten());
                assertEquals(4, b.valueBytes(n.program()));
            } else if (fp32.spmd().nodes().get(n.program()).inputs().stream().anyMatch(k -> fp32.spmd().nodes().get(k).op() instanceof Op.ExpertLinear)) {
                consumers++;
                assertNotEquals(a.bytes(i), b.bytes(i), n.id() + " reads an fp32 value");
            }
        }
        assertTrue(consumers > 0);
        assertTrue(fp32.analysis().gpus().get(0).memory().activationBytes() >= bf16.analysis().gpus().get(0).memory().activationBytes());
    }
}
