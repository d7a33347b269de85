package pdagc.importer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad configs are diagnostics with a code, at the field, naming it; the command exits 1 and
 * writes nothing (an older output file stays as it was). Bad options exit 2.
 */
class ImportErrorsTest {
    @TempDir
    Path dir;

    private static final String LLAMA = """
            "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 4""";

    /** Runs the import of {@code json} through the command line over an existing output; checks nothing was written. */
    private Imports.Run importFails(String json) throws Exception {
        Path config = dir.resolve("bad.config.json");
        Files.writeString(config, json);
        Path out = dir.resolve("model.pdag");
        Files.writeString(out, "// an older file\n");
        Imports.Run r = Imports.cli("import", "hf", config.toString(), "-o", out.toString());
        assertEquals(1, r.code(), r.err());
        assertEquals("// an older file\n", Files.readString(out), "the older output is untouched");
        try (var files = Files.list(dir)) {
            assertEquals(2, files.count(), "no temporary file is left behind");
        }
        assertTrue(r.err().contains("error: could not import"), r.err());
        assertTrue(r.out().isEmpty(), r.out());
        return r;
    }

    @Test
    void unknownModelTypeListsTheSupportedOnes() throws Exception {
        String err = importFails("{\"model_type\": \"bloom\", " + LLAMA + "}").err();
        assertTrue(err.contains("error[E0602]: unsupported model_type `bloom`"), err);
        assertTrue(err.contains("bad.config.json:1:16"), err);
        assertTrue(err.contains("supported model_types: llama, mistral, mixtral, phi3, gemma, gemma2, gemma3_text, qwen2, qwen2_moe, qwen3, qwen3_moe, qwen3_vl_text, "
                + "qwen3_vl_moe_text, olmoe, deepseek, deepseek_v2, deepseek_v3, kimi_k2, glm4_moe, minimax_m2, llama4_text, falcon, starcoder2, gpt_neox, gptj, gpt2"), err);
    }

    @Test
    void aMisspelledModelTypeGetsASuggestion() {
        String err = Imports.errors("{\"model_type\": \"qwen_3\", " + LLAMA + "}");
        assertTrue(err.contains("E0602") && err.contains("did you mean `qwen3`?"), err);
    }

    @Test
    void aMissingFieldIsNamed() throws Exception {
        String err = importFails("{\"model_type\": \"mixtral\", \"num_experts_per_tok\": 2, " + LLAMA + "}").err();
        assertTrue(err.contains("error[E0603]: the config has no `num_local_experts`, which model_type mixtral needs"), err);
    }

    @Test
    void aMissingModelTypeIsNamed() {
        String err = Imports.errors("{" + LLAMA + "}");
        assertTrue(err.contains("error[E0603]: the config has no `model_type`"), err);
    }

    @Test
    void everyProblemOfAFileIsReported() {
        String err = Imports.errors("""
                {"model_type": "llama", "vocab_size": 64, "hidden_size": "32", "num_hidden_layers": 2, "num_attention_heads": 4}""");
        assertTrue(err.contains("error[E0604]: `hidden_size` must be a whole number of at least 1, found \"32\""), err);
        assertTrue(err.contains("error[E0603]: the config has no `intermediate_size`"), err);
    }

    @Test
    void contradictoryHeads() throws Exception {
        String err = importFails("{\"model_type\": \"llama\", \"num_key_value_heads\": 3, " + LLAMA + "}").err();
        assertTrue(err.contains("error[E0605]: contradictory config: 4 query heads (num_attention_heads) cannot be grouped over 3 key/value heads"), err);
    }

    @Test
    void contradictoryWidths() {
        String err = Imports.errors("""
                {"model_type": "qwen2", "vocab_size": 64, "hidden_size": 30, "intermediate_size": 48, "num_hidden_layers": 2,
                 "num_attention_heads": 4}""");
        assertTrue(err.contains("E0605") && err.contains("hidden_size 30 is not a multiple of num_attention_heads 4, and no head_dim is given"), err);
    }

    @Test
    void contradictoryRouting() {
        String err = Imports.errors("{\"model_type\": \"olmoe\", \"num_experts\": 4, \"num_experts_per_tok\": 6, " + LLAMA + "}");
        assertTrue(err.contains("E0605") && err.contains("num_experts_per_tok 6 routes to more than the 4 experts (num_experts)"), err);
    }

    @Test
    void contradictoryPositionsAndDuplicateFields() {
        String err = Imports.errors("""
                {"model_type": "gpt2", "vocab_size": 64, "n_embd": 32, "n_layer": 2, "n_head": 4, "n_positions": 64, "n_ctx": 128,
                 "n_layer": 3}""");
        assertTrue(err.contains("n_ctx 128 and n_positions 64 disagree"), err);
        assertTrue(err.contains("`n_layer` is given twice"), err);
    }

    @Test
    void contradictoryDenseLayers() {
        String err = Imports.errors("""
                {"model_type": "deepseek_v3", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "moe_intermediate_size": 16,
                 "num_hidden_layers": 2, "num_attention_heads": 4, "n_shared_experts": 1, "n_routed_experts": 4, "num_experts_per_tok": 2,
                 "first_k_dense_replace": 3, "q_lora_rank": 24, "kv_lora_rank": 16, "qk_nope_head_dim": 8, "qk_rope_head_dim": 4,
                 "v_head_dim": 8}""");
        assertTrue(err.contains("first_k_dense_replace 3 exceeds num_hidden_layers 2"), err);
    }

    @Test
    void notJson() throws Exception {
        String err = importFails("{\"model_type\": \"llama\",, }").err();
        assertTrue(err.contains("error[E0601]: ") && err.contains("is not a JSON object: not valid JSON"), err);
        assertTrue(err.contains("bad.config.json:1:24"), err);
    }

    @Test
    void notAnObject() throws Exception {
        String err = importFails("[\"llama\"]").err();
        assertTrue(err.contains("error[E0601]: ") && err.contains("a JSON array"), err);
        assertTrue(Imports.errors("").contains("an empty file"));
    }

    @Test
    void aFeatureTheBlocksCannotExpressIsSaid() {
        String err = Imports.errors("{\"model_type\": \"llama\", \"attention_bias\": true, " + LLAMA + "}");
        assertTrue(err.contains("error[E0606]: attention biases for model_type llama is not supported by the importer yet"), err);
        String qwen = Imports.errors("{\"model_type\": \"qwen3_moe\", \"num_experts\": 4, \"num_experts_per_tok\": 2, \"moe_intermediate_size\": 8, "
                + "\"mlp_only_layers\": [0], " + LLAMA + "}");
        assertTrue(qwen.contains("E0606") && qwen.contains("mlp_only_layers"), qwen);
    }

    @Test
    void llama4sChosenMoeLayersAndMiniMaxsUnstatedNormsAreSaid() {
        String chosen = Imports.errors("{\"model_type\": \"llama4_text\", \"interleave_moe_layer_step\": 2, \"moe_layers\": [0], "
                + "\"intermediate_size_mlp\": 64, \"num_local_experts\": 4, \"num_experts_per_tok\": 1, " + LLAMA + "}");
        assertTrue(chosen.contains("error[E0606]: MoE on 1 chosen layers of 2"), chosen);
        String minimax = Imports.errors("{\"model_type\": \"minimax_m2\", \"num_local_experts\": 4, \"num_experts_per_tok\": 2, "
                + "\"shared_intermediate_size\": 8, " + LLAMA + "}");
        assertTrue(minimax.contains("error[E0603]: the config has no `use_qk_norm`"), minimax);
        assertTrue(minimax.contains("error[E0606]: a MiniMax-M2 shared expert (shared_intermediate_size 8)"), minimax);
    }

    @Test
    void pythonsInfinityIsReadAsTransformersReadsIt() {
        // Python's json module writes Infinity (Nemotron-H's time_step_limit); a field pdagc does not read may hold it.
        String m = Imports.pdag("{\"model_type\": \"llama\", \"time_step_limit\": [0.0, Infinity], \"x\": NaN, " + LLAMA + "}", "M");
        assertTrue(m.contains("model M {"), m);
        String err = Imports.errors("{\"model_type\": \"llama\", \"num_hidden_layers\": Infinity, \"vocab_size\": 64, \"hidden_size\": 32, "
                + "\"intermediate_size\": 48, \"num_attention_heads\": 4}");
        assertTrue(err.contains("E0604") && err.contains("num_hidden_layers"), err);
    }

    @Test
    void badOptionsAreUsageErrors() throws Exception {
        Path config = dir.resolve("c.json");
        Files.writeString(config, "{\"model_type\": \"llama\", " + LLAMA + "}");
        Imports.Run badName = Imports.cli("import", "hf", config.toString(), "--name", "9lives");
        assertEquals(2, badName.code(), badName.err());
        assertEquals(2, Imports.cli("import", "hf").code());
        assertEquals(2, Imports.cli("import").code());
        Imports.Run intoDir = Imports.cli("import", "hf", config.toString(), "-o", dir.resolve("nowhere/m.pdag").toString());
        assertEquals(2, intoDir.code(), intoDir.err());
        assertFalse(Files.exists(dir.resolve("nowhere")));
    }

    @Test
    void aMissingFileIsAnInputError() {
        Imports.Run r = Imports.cli("import", "hf", dir.resolve("absent.json").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("error[E0004]: cannot read"), r.err());
    }

    @Test
    void aGoodConfigIsWrittenAndNamedAfterTheOutput() throws Exception {
        Path config = dir.resolve("config.json");
        Files.writeString(config, "{\"model_type\": \"llama\", " + LLAMA + "}");
        Path out = dir.resolve("tiny_llama.pdag");
        Imports.Run r = Imports.cli("import", "hf", config.toString(), "-o", out.toString());
        assertEquals(0, r.code(), r.err());
        String text = Files.readString(out);
        assertTrue(text.contains("model Tiny_llama {"), text);
        assertTrue(text.contains("from config.json.") && !text.contains(dir.toString()), "no machine paths: " + text);
        Imports.Run toStdout = Imports.cli("import", "hf", config.toString(), "--name", "Tiny");
        assertEquals(0, toStdout.code(), toStdout.err());
        assertTrue(toStdout.out().contains("model Tiny {"), toStdout.out());
    }

    @Test
    void falconWithBiasesOrInSequenceIsNotExpressed() throws Exception {
        String err = importFails("{\"model_type\": \"falcon\", \"bias\": true, \"parallel_attn\": false, \"vocab_size\": 64, "
                + "\"hidden_size\": 32, \"num_attention_heads\": 4, \"num_hidden_layers\": 2}").err();
        assertTrue(err.contains("error[E0606]: Falcon with biased linears (`bias` true, as in Falcon-RW) is not supported by the importer yet"), err);
        assertTrue(err.contains("error[E0606]: Falcon with attention and MLP in sequence (`parallel_attn` false)"), err);
    }

    @Test
    void gptjTiedOrWithTooWideARotaryIsRefused() throws Exception {
        String err = importFails("{\"model_type\": \"gptj\", \"tie_word_embeddings\": true, \"rotary_dim\": 16, \"vocab_size\": 64, "
                + "\"n_embd\": 32, \"n_head\": 4, \"n_layer\": 2}").err();
        assertTrue(err.contains("error[E0606]: a GPT-J whose lm_head is tied to wte is not supported by the importer yet"), err);
        assertTrue(err.contains("E0605") && err.contains("rotary_dim 16 exceeds the head's 8 dimensions (n_embd / n_head)"), err);
    }

    @Test
    void starcoder2WithoutBiasesIsNotExpressed() throws Exception {
        String err = importFails("{\"model_type\": \"starcoder2\", \"use_bias\": false, " + LLAMA + "}").err();
        assertTrue(err.contains("error[E0606]: StarCoder2 without linear biases (`use_bias` false) is not supported by the importer yet"), err);
    }

    @Test
    void aMultimodalConfigWhoseLanguageModelIsNotImportedSaysSo() {
        String err = Imports.errors("{\"model_type\": \"llava\", \"text_config\": {\"model_type\": \"vicuna\"}}");
        assertTrue(err.contains("error[E0602]: unsupported model_type `vicuna` in `text_config`"), err);
        assertTrue(err.contains("the language model's type, not one pdagc imports"), err);
        String missing = Imports.errors("{\"model_type\": \"llava\", \"text_config\": {\"hidden_size\": 32}}");
        assertTrue(missing.contains("error[E0603]: the config has no `model_type`"), missing);
        assertTrue(missing.contains("config.json:1:40"), missing);
    }
}
