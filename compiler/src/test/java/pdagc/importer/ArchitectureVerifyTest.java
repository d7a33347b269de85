package pdagc.importer;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import pdagc.verify.Verify;

/**
 * The new architectures' plans verify, and breaking them where their new rules act is caught with
 * the GPU and node named: a GPU that loads another rank's W_UK or W_UV (latent attention, split
 * by heads), another rank's part of a bias or of a tied head's vocabulary rows, a missing
 * reduction of GPT-J's two side-by-side partial sums, a missing gather
 * before OLMoE's whole-width q norm, a missing reduction after Qwen2-MoE's gated shared expert.
 */
class ArchitectureVerifyTest {
    private static String deploy(String model, String mesh) {
        return model + """
                import std.hardware
                cluster C { gpu H100  count 4  per_node 4 }
                strategy S { mesh %s }
                workload P { batch 4  seq 8  phase prefill }
                deploy Prefill = M on C with S for P
                """.formatted(mesh);
    }

    static final String DEEPSEEK = deploy(Imports.pdag("""
            {"model_type": "deepseek_v3", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "moe_intermediate_size": 16,
             "num_hidden_layers": 2, "num_attention_heads": 4, "n_shared_experts": 1, "n_routed_experts": 4, "num_experts_per_tok": 2,
             "first_k_dense_replace": 1, "q_lora_rank": 24, "kv_lora_rank": 16, "qk_nope_head_dim": 8, "qk_rope_head_dim": 4,
             "v_head_dim": 8}""", "M"), "[ep 2, tp 2]");

    static final String GPT2 = deploy(Imports.pdag("""
            {"model_type": "gpt2", "vocab_size": 64, "n_embd": 32, "n_layer": 2, "n_head": 4, "n_positions": 16}""", "M"), "[dp 2, tp 2]");

    static final String GPTJ = deploy(Imports.pdag("""
            {"model_type": "gptj", "vocab_size": 64, "n_embd": 32, "n_layer": 2, "n_head": 4, "rotary_dim": 4}""", "M"), "[dp 2, tp 2]");

    static final String OLMOE = deploy(Imports.pdag("""
            {"model_type": "olmoe", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 16, "num_hidden_layers": 2,
             "num_attention_heads": 4, "num_experts": 4, "num_experts_per_tok": 2}""", "M"), "[ep 2, tp 2]");

    static final String QWEN2_MOE = deploy(Imports.pdag("""
            {"model_type": "qwen2_moe", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
             "num_attention_heads": 4, "num_key_value_heads": 2, "num_experts": 4, "num_experts_per_tok": 2,
             "moe_intermediate_size": 16, "shared_expert_intermediate_size": 24}""", "M"), "[ep 2, tp 2]");

    private static void agrees(List<Verify.Report> reports) {
        for (Verify.Report r : reports) assertTrue(r.ok(), r.summary());
    }

    private static void differsOnGpu(List<Verify.Report> reports, int gpu) {
        Verify.Report r = reports.get(0);
        assertFalse(r.ok(), r.summary());
        assertTrue(r.where().startsWith("GPU " + gpu), r.summary());
    }

    @Test
    void latentAttentionVerifiesAndItsHeadSplitIsChecked() {
        agrees(Imports.verify(DEEPSEEK));
        // GPU 0 and GPU 1 are the two tp ranks of ep 0: each holds half of the heads of W_UK and W_UV.
        differsOnGpu(Imports.verify(DEEPSEEK, Map.of("layers.1.a.scores@0", 1)), 0);
        differsOnGpu(Imports.verify(DEEPSEEK, Map.of("layers.1.a.ctx@0", 1)), 0);
    }

    @Test
    void biasesAndTiedHeadsLoadTheirOwnShards() {
        agrees(Imports.verify(GPT2));
        differsOnGpu(Imports.verify(GPT2, Map.of("layers.0.a.q@1", 0)), 1);
        differsOnGpu(Imports.verify(GPT2, Map.of("head.logits@1", 0)), 1);
    }

    @Test
    void gptjsParallelSidesShareOneReductionAndItsBiasesLoadTheirOwnShards() {
        agrees(Imports.verify(GPTJ));
        differsOnGpu(Imports.verify(GPTJ, Map.of("layers.0.up@1", 0)), 1);
        differsOnGpu(Imports.verify(GPTJ, Map.of("head.logits@1", 0)), 1);
        Verify.Report r = Imports.verifyWithout(GPTJ, "layers.0.both.all_reduce").get(0);
        assertFalse(r.ok(), r.summary());
        assertTrue(r.where().contains("layer 0"), r.summary());
    }

    @Test
    void wholeWidthQueryNormNeedsItsGather() {
        agrees(Imports.verify(OLMOE));
        Verify.Report r = Imports.verifyWithout(OLMOE, "layers.0.a.qw.all_gather").get(0);
        assertFalse(r.ok(), r.summary());
        assertTrue(r.where().contains("layer 0"), r.summary());
    }

    @Test
    void gatedSharedExpertNeedsItsReduction() {
        agrees(Imports.verify(QWEN2_MOE));
        Verify.Report r = Imports.verifyWithout(QWEN2_MOE, "layers.0.gated_moe_gated_shared.sg.all_reduce").get(0);
        assertFalse(r.ok(), r.summary());
        assertTrue(r.where().contains("layer 0"), r.summary());
    }
}
