package pdagc.importer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pdagc.diag.DiagnosticRenderer;
import pdagc.diag.Diagnostics;
import pdagc.front.Elaborator;
import pdagc.front.Loader;
import pdagc.program.Program;
import pdagc.sem.ModelSpec;
import pdagc.source.SourceFile;

/**
 * Nothing from a config becomes code: strings of the config ({@code architectures},
 * {@code torch_dtype}, a multimodal {@code model_type}), raw values quoted in comments and the
 * config's file name reach the written file only as inert comment text.
 */
class HostileConfigTest {
    @TempDir
    Path dir;

    private static final String INJECT = "X\nmodel Injected { vocab 8  hidden 8  heads 1  layers 1  ffn 8 }\n//";

    private static String json(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n").replace("\r", "\\r")
                .replace("\u2028", "\\u2028").replace("\u0085", "\\u0085") + "\"";
    }

    private static String config(String architecture, String dtype, String epsilon) {
        return "{\"model_type\": \"llama\", \"architectures\": [" + json(architecture) + "], \"torch_dtype\": " + json(dtype)
                + ", \"rms_norm_eps\": " + epsilon + ", \"vocab_size\": 64, \"hidden_size\": 32, \"intermediate_size\": 48,"
                + " \"num_hidden_layers\": 2, \"num_attention_heads\": 4}";
    }

    /** The models a .pdag text declares, by name; fails on any diagnostic. */
    private static List<String> models(String pdag) {
        Diagnostics d = new Diagnostics();
        Program p = new Loader(d).loadRoot(SourceFile.of("model.pdag", null, pdag)).orElseThrow();
        List<ModelSpec> models = new Elaborator(p, d).rootModels();
        assertFalse(d.hasErrors(), () -> DiagnosticRenderer.render(d.sorted()) + pdag);
        return models.stream().map(ModelSpec::name).toList();
    }

    @Test
    void configStringsDoNotBecomeCode() throws Exception {
        String hostileDir = "a\nmodel Evil { vocab 8 hidden 8 heads 1 layers 1 ffn 8 }\n//";
        Path sub;
        try {
            sub = Files.createDirectories(dir.resolve(hostileDir));
        } catch (java.nio.file.InvalidPathException e) {
            sub = dir;
        }
        Path config = sub.resolve("x\rmodel Evil2 {}\u2028.config.json");
        Files.writeString(config, config(INJECT, "bf16\r\nmodel Inj2 {}\u2028\u0085\u202e//", "{\"a\":\n\"b\\nmodel Inj3 {}\"}"));
        Path out = dir.resolve("out.pdag");
        Imports.Run r = Imports.cli("import", "hf", config.toString(), "-o", out.toString());
        assertEquals(0, r.code(), r.err());
        String text = Files.readString(out);
        assertEquals(List.of("Out"), models(text));
        Matcher code = Pattern.compile("(?m)^(?!\\s*//)\\S.*$").matcher(text);
        StringBuilder lines = new StringBuilder();
        while (code.find()) lines.append(code.group()).append('\n');
        assertEquals("import std.blocks\nmodel Out {\n}\n", lines.toString(), text);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            assertTrue(c == '\n' || c >= 0x20 && c < 0x7f, "only printable ASCII and newlines: " + (int) c + " in\n" + text);
        }
        assertTrue(text.contains("X\\u000Amodel Injected"), text);
    }

    @Test
    void defaultNameFromAHostileFileNameIsAnIdentifier() throws Exception {
        Path config = dir.resolve("m\nodel Evil {}.config.json");
        Files.writeString(config, config("LlamaForCausalLM", "bfloat16", "1e-05"));
        Imports.Run r = Imports.cli("import", "hf", config.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of("M_odel_Evil"), models(r.out()));
    }

    @Test
    void aLongConfigStringIsClippedInItsComment() {
        String text = Imports.pdag(config("A".repeat(100_000), "bfloat16", "1e-05"), "M");
        assertTrue(text.length() < 5_000, "length " + text.length());
        assertTrue(text.contains("A".repeat(PdagModel.QUOTE_LIMIT) + "..."), text);
    }

    @Test
    void commentTextIsEscaped() {
        assertEquals("a\\u000Ab\\u2028c\\u202Ed\\u0085e\\U0E0001", PdagModel.comment("a\nb\u2028c\u202ed\u0085e\uDB40\uDC01"));
        assertEquals("plain text, with é and 日本", PdagModel.comment("plain text, with é and 日本"));
    }
}
