package pdagc.importer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import pdagc.Repo;
import pdagc.diag.DiagnosticRenderer;
import pdagc.diag.Diagnostics;
import pdagc.source.SourceFile;

/**
 * A quantized checkpoint (DeepSeek-V3's {@code quantization_config}: fp8, e4m3, 128 x 128 blocks)
 * stores the same weights in fewer bytes: the import succeeds, warns (W0610) at the field with
 * what to write in a workload, and says so in the written file, never silently.
 */
class QuantizationConfigTest {

    private record Imported(String text, String warnings) {}

    private static Imported run(String json) {
        Diagnostics d = new Diagnostics();
        Optional<HfImport.Result> r = HfImport.run(SourceFile.of("config.json", null, json), "M", d);
        assertFalse(d.hasErrors(), DiagnosticRenderer.render(d.sorted()));
        assertTrue(r.isPresent());
        return new Imported(r.get().text(), DiagnosticRenderer.render(d.sorted()));
    }

    @Test
    void deepSeekV3sFp8CheckpointIsAWarningWithTheDtypeAdvice() throws Exception {
        Imported i = run(Files.readString(Repo.file("bench/fidelity/configs/deepseek-v3.config.json")));
        assertTrue(i.warnings().startsWith("warning[W0610]: the checkpoint's quantization (quant_method fp8, fmt e4m3) is not modelled:"
                + " the model is counted in elements, and costed in the workload's `dtype`\n  --> config.json:37:3\n"), i.warnings());
        assertTrue(i.warnings().contains("= help: to cost the checkpoint as it is stored, write `dtype fp8` in the workload"), i.warnings());
        assertEquals(1, i.warnings().split("warning\\[").length - 1, "one warning: " + i.warnings());
        assertTrue(i.text().contains("// Not modelled: the checkpoint's quantization (quant_method fp8, fmt e4m3).\n"
                + "// Memory and time follow the workload's dtype: `dtype fp8` costs it as stored.\n"), i.text());
    }

    @Test
    void anotherMethodNamesItWithoutTheFp8Advice() {
        Imported i = run("""
                {"model_type": "llama", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "quantization_config": {"quant_method": "awq", "bits": 4}}""");
        assertTrue(i.warnings().contains("warning[W0610]: the checkpoint's quantization (quant_method awq) is not modelled"), i.warnings());
        assertTrue(i.warnings().contains("= help: a workload's `dtype` is one of bf16, fp16, fp32 and fp8: pick the nearest"), i.warnings());
        assertTrue(i.text().contains("// Memory and time follow the workload's dtype.\n"), i.text());
    }

    @Test
    void aConfigWithoutQuantizationImportsWithoutAWord() {
        Imported i = run("""
                {"model_type": "llama", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "quantization_config": null}""");
        assertEquals("", i.warnings());
        assertFalse(i.text().contains("quantization"), i.text());
    }
}
