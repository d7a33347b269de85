package pdagc.importer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pdagc.diag.DiagnosticRenderer;
import pdagc.diag.Diagnostics;
import pdagc.source.SourceFile;

/**
 * An active sliding window changes no weight, so the import succeeds, but pdagc models full
 * attention: the import warns (W0608) at the field that turns the window on and says so in the
 * written file. Configs whose window is off, or whose family has none, import without a word.
 */
class SlidingWindowTest {
    @TempDir
    Path dir;

    private static final String DIMS = """
            "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 4""";

    private record Imported(String text, String warnings) {}

    private static Imported run(String json) {
        Diagnostics d = new Diagnostics();
        Optional<HfImport.Result> r = HfImport.run(SourceFile.of("config.json", null, json), "M", d);
        assertFalse(d.hasErrors(), DiagnosticRenderer.render(d.sorted()));
        assertTrue(r.isPresent());
        return new Imported(r.get().text(), DiagnosticRenderer.render(d.sorted()));
    }

    @Test
    void mistralsGivenWindowIsAWarningAtTheField() {
        Imported i = run("{\"model_type\": \"mistral\", \"sliding_window\": 4096, " + DIMS + "}");
        assertTrue(i.warnings().contains("warning[W0608]: sliding-window attention (4096 tokens) is not modelled: attention spans the whole"
                + " sequence and the KV cache holds every token"), i.warnings());
        assertTrue(i.warnings().contains("config.json:1:27"), i.warnings());
        assertTrue(i.warnings().contains("`sliding_window` is 4096"), i.warnings());
        assertTrue(i.warnings().contains("exact for sequences of up to 4096 tokens"), i.warnings());
        assertTrue(i.text().contains("// Not modelled: sliding-window attention (4096 tokens). Attention spans the whole sequence:\n"
                + "// exact up to 4096 tokens, an upper bound beyond.\n"), i.text());
    }

    @Test
    void mistralWithoutTheFieldHasHuggingFacesDefaultWindow() {
        Imported i = run("{\"model_type\": \"mistral\", " + DIMS + "}");
        assertTrue(i.warnings().contains("W0608") && i.warnings().contains("4096 tokens, Hugging Face's default for mistral"), i.warnings());
        assertTrue(i.warnings().contains("`model_type` is \"mistral\""), i.warnings());
    }

    @Test
    void aNullWindowIsOff() {
        Imported mistral = run("{\"model_type\": \"mistral\", \"sliding_window\": null, " + DIMS + "}");
        assertEquals("", mistral.warnings());
        assertFalse(mistral.text().contains("Not modelled: sliding"), mistral.text());
    }

    @Test
    void qwensWindowCountsOnlyWithUseSlidingWindow() {
        assertEquals("", run("{\"model_type\": \"qwen2\", \"sliding_window\": 32768, \"use_sliding_window\": false, " + DIMS + "}").warnings());
        assertEquals("", run("{\"model_type\": \"qwen2\", \"sliding_window\": 32768, " + DIMS + "}").warnings());
        Imported on = run("{\"model_type\": \"qwen2\", \"sliding_window\": 32768, \"use_sliding_window\": true, " + DIMS + "}");
        assertTrue(on.warnings().contains("W0608") && on.warnings().contains("32768 tokens"), on.warnings());
        assertTrue(on.warnings().contains("from max_window_layers on"), on.warnings());
    }

    @Test
    void mixtralsWindowOnlyWhenGivenAndLlamaHasNone() {
        String experts = "\"num_local_experts\": 4, \"num_experts_per_tok\": 2, ";
        assertEquals("", run("{\"model_type\": \"mixtral\", " + experts + DIMS + "}").warnings());
        assertTrue(run("{\"model_type\": \"mixtral\", \"sliding_window\": 4096, " + experts + DIMS + "}").warnings().contains("W0608"));
        assertEquals("", run("{\"model_type\": \"llama\", " + DIMS + "}").warnings());
    }

    @Test
    void gemma2sWindowIsOnEveryOtherLayerAndOnByDefault() {
        Imported given = run("{\"model_type\": \"gemma2\", \"head_dim\": 8, \"sliding_window\": 4096, " + DIMS + "}");
        assertTrue(given.warnings().contains("W0608") && given.warnings().contains("(on every other layer)"), given.warnings());
        Imported absent = run("{\"model_type\": \"gemma2\", \"head_dim\": 8, " + DIMS + "}");
        assertTrue(absent.warnings().contains("4096 tokens, Hugging Face's default for gemma2"), absent.warnings());
        assertEquals("", run("{\"model_type\": \"gemma\", \"head_dim\": 8, " + DIMS + "}").warnings());
    }

    @Test
    void phi3sWindowOnlyWhenGiven() {
        assertTrue(run("{\"model_type\": \"phi3\", \"sliding_window\": 2047, " + DIMS + "}").warnings().contains("2047 tokens"));
        assertEquals("", run("{\"model_type\": \"phi3\", " + DIMS + "}").warnings());
    }

    @Test
    void aMultimodalConfigImportsItsLanguageModelWithAWarning() {
        Imported i = run("{\"model_type\": \"gemma3\", \"text_config\": {\"model_type\": \"gemma3_text\", \"sliding_window\": null, "
                + "\"vocab_size\": 64, \"hidden_size\": 32, \"intermediate_size\": 48, \"num_hidden_layers\": 2}}");
        assertTrue(i.warnings().contains("warning[W0609]: only the language model (`text_config`) of this `gemma3` config is imported"),
                i.warnings());
        assertTrue(i.warnings().contains("config.json:1:26"), i.warnings());
        assertTrue(i.text().contains("// The language model (text_config, model_type gemma3_text); the vision tower is not imported."), i.text());
        assertTrue(i.text().matches("(?s).*\\n  heads +8 +// num_attention_heads absent: 8, Hugging Face's default for gemma3_text\\n.*"), i.text());
    }

    @Test
    void theCommandWritesTheModelAndExitsZero() throws Exception {
        Path config = dir.resolve("mistral.config.json");
        Files.writeString(config, "{\"model_type\": \"mistral\", \"sliding_window\": 4096, " + DIMS + "}");
        Path out = dir.resolve("mistral.pdag");
        Imports.Run r = Imports.cli("import", "hf", config.toString(), "-o", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("warning[W0608]") && r.err().contains("warning: 1 warning"), r.err());
        assertTrue(Files.readString(out).contains("model Mistral {"), Files.readString(out));
    }
}
