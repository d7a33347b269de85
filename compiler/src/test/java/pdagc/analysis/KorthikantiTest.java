package pdagc.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import pdagc.driver.Compile;
import pdagc.driver.MaterializedPlan;

/**
 * Activation memory per transformer layer (Korthikanti et al. 2022, in ../shared/reference): the
 * closed forms {@code sbh(34 + 5as/h)} (no parallelism) and {@code sbh(10 + 24/t + 5as/(ht))}
 * (tensor parallel t) describe the activations a training step stores for the backward pass of a
 * GPT layer with dropout, in 16-bit. pdagc reproduces them exactly with {@link StoredActivations}
 * over the layer's IR values, on the paper's GPT-3 175B layer shape (a 96, h 12288, s 2048; two
 * layers are enough, the formula is per layer; vocabulary padded to 51200 as Megatron does). The
 * forward-inference peak that {@link Liveness} computes for the same plan is a different figure,
 * and is checked to be what the schedule implies.
 */
class KorthikantiTest {
    static final long A = 96, H = 12288, S = 2048, B = 1;

    static MaterializedPlan gpt(int t) {
        return Compile.source("""
                import std.hardware
                import std.blocks
                model Gpt3Layer {
                  vocab 51200  hidden 12288  heads 96  layers 2  ffn 4 * hidden
                  norm layernorm  act gelu  layer dense_layer
                }
                cluster C { gpu H100  count %d  per_node 8 }
                workload W { batch 1  seq 2048  phase prefill  dtype bf16 }
                strategy T { mesh [tp %d] }
                deploy D = Gpt3Layer on C with T for W
                """.formatted(t, t));
    }

    @Test
    void withoutParallelismTheStoredActivationsAreSbh34Plus5asOverH() {
        MaterializedPlan p = gpt(1);
        for (int layer = 0; layer < 2; layer++) {
            // sbh(34 + 5as/h) = 34·sbh + 5·a·s²·b, exact in integers
            assertEquals(34 * S * B * H + 5 * A * S * S * B, StoredActivations.of(p.spmd(), layer).bytes());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4, 8})
    void withTensorParallelismTheyAreSbh10Plus24OverTPlus5asOverHt(int t) {
        MaterializedPlan p = gpt(t);
        long expected = 10 * S * B * H + 24 * S * B * H / t + 5 * A * S * S * B / t;
        assertEquals(expected, StoredActivations.of(p.spmd(), 0).bytes());
    }

    @Test
    void eachTermIsTheTensorThePaperLists() {
        List<StoredActivations.Term> terms = StoredActivations.of(gpt(1).spmd(), 0).terms();
        long sbh = S * B * H, as2b = A * S * S * B;
        List<String> expected = List.of(
                "layernorm input 2sbh", "linear input 2sbh", "attention queries 2sbh", "attention keys 2sbh",
                "softmax output 2as2b", "attention dropout mask 1as2b", "attention dropout output 2as2b", "attention values 2sbh",
                "linear input 2sbh", "residual dropout mask 1sbh", "layernorm input 2sbh", "linear input 2sbh", "gelu input 8sbh",
                "linear input 8sbh", "residual dropout mask 1sbh");
        List<String> got = terms.stream().map(x -> x.what() + " " + (x.bytes() % sbh == 0 && x.bytes() < as2b
                ? x.bytes() / sbh + "sbh" : x.bytes() / as2b + "as2b")).toList();
        assertEquals(expected, got);
        assertEquals("layers.0.a.probs", terms.get(4).value());
        assertEquals("layers.0.a.v", terms.get(7).value());
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 8})
    void theInferencePeakIsTheLiveSetAtSoftmaxNotThePapersFigure(int t) {
        MaterializedPlan p = gpt(t);
        // At softmax: the layer input x (kept for the residual add, replicated: 2sbh), the scores
        // and the probabilities (2as²b/t each). Keys and values are the KV cache, not activations.
        long expected = 2 * S * B * H + 4 * A * S * S * B / t;
        for (Analysis.GpuFigures g : p.analysis().gpus()) assertEquals(expected, g.memory().activationBytes());
        assertTrue(expected < StoredActivations.of(p.spmd(), 0).bytes());
    }

    @Test
    void routingIsNotPartOfThePapersLayer() {
        MaterializedPlan seed = Compile.file("examples/seed_moe_ep16_tp4.pdag");
        assertThrows(IllegalArgumentException.class, () -> StoredActivations.of(seed.spmd(), 0));
    }
}
