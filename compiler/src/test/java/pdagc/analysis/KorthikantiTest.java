package pdagc.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import pdagc.driver.Compile;
import pdagc.driver.MaterializedPlan;

/**
 * Activation memory per transformer layer (Korthikanti et al. 2022, "Reducing Activation
 * Recomputation in Large Transformer Models", section 4; in ../shared/reference): what a training
 * step stores for the backward pass of one GPT layer, per GPU, in the paper's accounting (16-bit
 * tensors, 1-byte dropout masks): {@code sbh(34 + 5as/h)} without parallelism,
 * {@code sbh(10 + 24/t + 5as/(ht))} with tensor parallelism t, {@code sbh/t · (34 + 5as/h)} with
 * sequence parallelism too. pdagc reproduces them exactly from the SPMD program of a
 * {@code phase train} plan ({@link StoredActivations}: the forward values its backward pass reads)
 * on the paper's layer, written here as blocks (Megatron's GPT layer: LayerNorm with its bias,
 * biased q/k/v and output projections, dropout after the softmax and on each residual branch before
 * its add, a GELU MLP of 4h with biases), at GPT-3 175B's shape (a 96, h 12288, s 2048, b 1;
 * two layers: the formula is per layer; vocabulary padded to 51200 as Megatron does; GPUs of 1 TB,
 * so that a layer fits one GPU unsplit).
 */
class KorthikantiTest {
    static final long A = 96, H = 12288, S = 2048, B = 1;
    static final long SBH = S * B * H, AS2B = A * S * S * B;

    /** The paper's GPT layer, as Megatron-LM's GPT model builds it. */
    static final String LAYER = """
            block paper_attention(x: [B, S, hidden]) -> [B, S, hidden] {
              ln     = norm(x)
              n      = bias(ln)
              qw     = linear(n, out: heads * head_dim, groups: heads) @column(tp)
              kw     = linear(n, out: heads * head_dim, groups: heads) @column(tp)
              vw     = linear(n, out: heads * head_dim, groups: heads) @column(tp)
              q      = bias(qw)
              k      = bias(kw)
              v      = bias(vw)
              scores = attn_scores(q, k, heads: heads, kv_heads: heads, head_dim: head_dim)
              probs  = softmax(scores)
              kept   = dropout(probs)
              ctx    = attn_context(kept, v, heads: heads, kv_heads: heads, head_dim: head_dim)
              yw     = linear(ctx, out: hidden) @row(tp)
              y      = bias(yw)
              yd     = dropout(y)
              return x + yd
            }
            block paper_mlp(x: [B, S, hidden]) -> [B, S, hidden] {
              ln   = norm(x)
              n    = bias(ln)
              upw  = linear(n, out: ffn) @column(tp)
              up   = bias(upw)
              h    = gelu(up)
              dw   = linear(h, out: hidden) @row(tp)
              down = bias(dw)
              dd   = dropout(down)
              return x + dd
            }
            block paper_layer(x: [B, S, hidden]) -> [B, S, hidden] {
              a = paper_attention(x)
              return paper_mlp(a)
            }
            """;

    static MaterializedPlan gpt(int t, boolean sequenceParallel, String recompute, String phase) {
        return gpt(t, sequenceParallel, recompute, phase, "");
    }

    /** The same with more workload properties ({@code kernels ...}). */
    static MaterializedPlan gpt(int t, boolean sequenceParallel, String recompute, String phase, String workload) {
        return Compile.source("""
                import std.hardware
                import std.blocks
                %s
                model Gpt3 {
                  vocab 51200  hidden 12288  heads 96  layers 2  ffn 4 * hidden
                  norm layernorm  act gelu  dropout 0.1
                  layer paper_layer  head layernorm_lm_head
                }
                cluster C { gpu H100 { memory 1 TB }  count %d  per_node 8 }
                workload W { batch 1  seq 2048  phase %s  dtype bf16%s }
                strategy T { mesh [tp %d]  sequence_parallel %s%s }
                deploy D = Gpt3 on C with T for W
                """.formatted(LAYER, t, phase, workload, t, sequenceParallel, phase.equals("train") ? "  recompute " + recompute : ""));
    }

    static StoredActivations.Layer stored(MaterializedPlan p, int layer) {
        Analysis.Training t = p.analysis().training();
        assertNotNull(t, "a training step");
        return t.stored().get(layer);
    }

    @Test
    void withoutParallelismTheStoredActivationsAreSbh34Plus5asOverH() {
        MaterializedPlan p = gpt(1, false, "none", "train");
        List<StoredActivations.Layer> layers = p.analysis().training().stored();
        assertEquals(2, layers.size());
        for (int layer = 0; layer < 2; layer++) {
            // sbh(34 + 5as/h) = 34·sbh + 5·a·s²·b, exact in integers
            assertEquals(layer, layers.get(layer).layer());
            assertEquals(34 * SBH + 5 * AS2B, layers.get(layer).bytes());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4, 8})
    void withTensorParallelismTheyAreSbh10Plus24OverTPlus5asOverHt(int t) {
        MaterializedPlan p = gpt(t, false, "none", "train");
        for (int layer = 0; layer < 2; layer++) assertEquals(10 * SBH + 24 * SBH / t + 5 * AS2B / t, stored(p, layer).bytes());
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4, 8})
    void withSequenceParallelismTooTheyAreSbhOverT34Plus5asOverH(int t) {
        MaterializedPlan p = gpt(t, true, "none", "train");
        for (int layer = 0; layer < 2; layer++) assertEquals((34 * SBH + 5 * AS2B) / t, stored(p, layer).bytes());
    }

    /**
     * Full recomputation keeps only each layer's input: {@code 2sbh}, replicated under tensor
     * parallelism and split over the sequence with sequence parallelism (the paper's 2sbh/t).
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 8})
    void withFullRecomputationOnlyTheLayersInput2sbhIsStored(int t) {
        for (int layer = 0; layer < 2; layer++) {
            StoredActivations.Layer l = stored(gpt(t, false, "full", "train"), layer);
            assertEquals(2 * SBH, l.bytes());
            assertEquals(1, l.values().size(), l.values().toString());
            if (t > 1) assertEquals(2 * SBH / t, stored(gpt(t, true, "full", "train"), layer).bytes());
        }
    }

    /**
     * Selective recomputation (the paper's section 5: QK^T, softmax and dropout recomputed) stores
     * none of the as²b terms: 34sbh, 10sbh + 24sbh/t under tensor parallelism, 34sbh/t with sequence
     * parallelism.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 8})
    void withSelectiveRecomputationNoneOfTheAttentionSquareIsStored(int t) {
        assertEquals(10 * SBH + 24 * SBH / t, stored(gpt(t, false, "selective", "train"), 0).bytes());
        if (t > 1) assertEquals(34 * SBH / t, stored(gpt(t, true, "selective", "train"), 0).bytes());
    }

    /**
     * The values are the tensors the paper lists (its section 4.1), in program order: each 16-bit
     * but the dropout masks, one byte per element.
     */
    @Test
    void eachStoredValueIsATensorThePaperLists() {
        List<StoredActivations.Value> values = stored(gpt(1, false, "none", "train"), 0).values();
        List<String> got = values.stream().map(v -> v.name() + " " + size(v.bytes())).toList();
        List<String> expected = List.of(
                "embed.x 2sbh",                       // the attention's LayerNorm input (the layer's input)
                "layers.0.a.n 2sbh",    // the q/k/v projections' shared input
                "layers.0.a.q 2sbh",    // QK^T: q
                "layers.0.a.k 2sbh",    // QK^T: k
                "layers.0.a.v 2sbh",    // the weighted sum: v
                "layers.0.a.probs 2as2b",     // softmax's output
                "layers.0.a.kept.mask 1as2b", // the attention dropout's mask
                "layers.0.a.kept 2as2b",      // the weighted sum: the dropped-out probabilities
                "layers.0.a.ctx 2sbh",  // the output projection's input
                "layers.0.a.yd.mask 1sbh",    // the residual dropout's mask
                "layers.0.a.out 2sbh",  // the MLP's LayerNorm input
                "layers.0.paper_mlp.n 2sbh",          // the first linear's input
                "layers.0.paper_mlp.up 8sbh",         // GELU's input
                "layers.0.paper_mlp.h 8sbh",          // the second linear's input
                "layers.0.paper_mlp.dd.mask 1sbh");   // the residual dropout's mask
        assertEquals(expected, got);
    }

    private static String size(long bytes) {
        return bytes % AS2B == 0 && bytes >= AS2B ? bytes / AS2B + "as2b" : bytes / SBH + "sbh";
    }

    /** A dropout mask is a value of one byte per element: the plan's own bytes, what liveness and the costs read too. */
    @Test
    void aDropoutMaskIsOneBytePerElement() {
        MaterializedPlan p = gpt(1, false, "none", "train");
        int masks = 0;
        for (pdagc.spmd.SpmdNode n : p.spmd().nodes()) {
            if (!(n.op() instanceof pdagc.ir.Op.DropoutMask)) continue;
            masks++;
            assertEquals(1, p.analysis().nodes().valueBytes(n.id()), n.name());
        }
        assertEquals(6, masks, "three dropouts in each of the two layers");
    }

    /** Serving never drops: the same model's prefill plan has no dropout, and its IR is the model's without it. */
    @Test
    void servingHasNoDropout() {
        MaterializedPlan p = gpt(2, false, "none", "prefill");
        assertTrue(p.spmd().nodes().stream().noneMatch(n -> n.op() instanceof pdagc.ir.Op.Dropout || n.op() instanceof pdagc.ir.Op.DropoutMask));
        assertEquals(null, p.analysis().training());
    }

    /**
     * The inference peak (liveness) is a different figure: with attention unfused (the scores and
     * probabilities written to HBM, as Megatron-LM's kernels of the paper did), at the softmax of a
     * prefill, the layer input (kept for the residual add, replicated: 2sbh), the scores and the
     * probabilities (2as²b/t each). Keys and values are the KV cache, not activations.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 8})
    void theInferencePeakIsTheLiveSetAtSoftmaxNotThePapersFigure(int t) {
        MaterializedPlan p = gpt(t, false, "none", "prefill", "  kernels unfused_attention");
        long expected = 2 * SBH + 4 * AS2B / t;
        for (Analysis.GpuFigures g : p.analysis().gpus()) assertEquals(expected, g.memory().activationBytes());
        assertTrue(expected < 10 * SBH + 24 * SBH / t + 5 * AS2B / t);
    }

    /**
     * With fused attention (the default: FlashAttention) the scores and probabilities stay on chip,
     * and the peak moves to the MLP: the layer input (2sbh), its first linear's output and the GELU's
     * (8sbh/t each); with t > 1, to the out-of-place all-reduce after a row-parallel linear (the layer
     * input, the partial sum and the sum: 2sbh each) where that is larger.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 8})
    void withFusedAttentionTheScoresAreNotActivations(int t) {
        MaterializedPlan p = gpt(t, false, "none", "prefill");
        long expected = Math.max(2 * SBH + 16 * SBH / t, t > 1 ? 6 * SBH : 0);
        for (Analysis.GpuFigures g : p.analysis().gpus()) assertEquals(expected, g.memory().activationBytes());
    }
}
