package pdagc.robust;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import pdagc.Repo;
import pdagc.cli.Main;
import pdagc.diag.DiagnosticRenderer;
import pdagc.diag.Diagnostics;
import pdagc.front.Elaborator;
import pdagc.front.Loader;
import pdagc.program.Program;
import pdagc.source.SourceFile;

/**
 * The mutation fuzzing of {@link FuzzTest}, for the two commands that write text from other text:
 * {@code import hf} on mutated Hugging Face configs (the shared reference configs with values
 * replaced, keys dropped or doubled, strings made hostile, the JSON broken) must end in exit 0 or
 * exit 1 with coded diagnostics, never 3 or a trace, and on success write a file that parses and
 * elaborates declaring exactly one model; {@code fmt} on mutated .pdag files must never exit 3,
 * must be idempotent, must leave a file it cannot format untouched, and must not change what
 * {@code check} says about the file. Counts are small for the test suite
 * ({@code -Dpdagc.fuzz.count=N} runs more; {@code -Dpdagc.fuzz.seed=S} changes the seed).
 */
class ImportFmtFuzzTest {
    static final int IMPORTS = Math.max(1, FuzzTest.COUNT / 2);
    static final int FORMATS = Math.max(1, FuzzTest.COUNT / 4);

    record Run(int code, String out, String err) {}

    static Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> Main.run(args, new PrintWriter(out), new PrintWriter(err)),
                String.join(" ", args));
        return new Run(code, out.toString(), err.toString());
    }

    static void assertClean(String what, Run r) {
        assertTrue(r.code() == 0 || r.code() == 1, what + " exited " + r.code() + ":\n" + r.err());
        assertFalse(FuzzTest.internalError(r.err()), what + ":\n" + r.err());
        if (r.code() == 1) assertTrue(r.err().contains("error[E"), what + " failed without a coded diagnostic:\n" + r.err());
    }

    static List<Path> files(String dir, String ext) throws IOException {
        try (Stream<Path> s = Files.list(dir.startsWith("../") ? Repo.reference(dir.substring("../shared/reference/".length())) : Repo.file(dir))) {
            return s.filter(f -> f.toString().endsWith(ext)).sorted().toList();
        }
    }

    static Stream<Arguments> configCases() throws IOException {
        List<Path> corpus = files("../shared/reference/hf-configs", ".json");
        Random random = new Random(FuzzTest.SEED ^ 0x1F);
        List<Arguments> out = new ArrayList<>();
        for (int i = 0; i < IMPORTS && !corpus.isEmpty(); i++) {
            Path file = corpus.get(i % corpus.size());
            long seed = random.nextLong();
            out.add(Arguments.of(i + ": " + file.getFileName() + " #" + Long.toHexString(seed), file, seed));
        }
        return out.stream();
    }

    /** JSON values a field may be given: wrong types, edge numbers, hostile strings. */
    static final String[] VALUES = {
        "0", "1", "-1", "2", "3", "7", "8", "64", "4096", "1e-05", "0.5", "1e308", "-0", "9223372036854775807", "9223372036854775808",
        "99999999999999999999999", "true", "false", "null", "[]", "{}", "[1, 2]", "[\"x\"]", "\"\"", "\"silu\"", "\"gelu\"", "\"llama\"",
        "\"mixtral\"", "\"gemma3\"", "\"x\\nmodel Injected { vocab 8 hidden 8 heads 1 layers 1 ffn 8 }\\n//\"", "\"\\u2028*/\\u202e\"",
        "\"\\u0000\"", "{\"model_type\": \"llama\"}", "{\"text_config\": {}}", "\"" + "a".repeat(5000) + "\""
    };

    static final String[] KEYS = {"model_type", "architectures", "torch_dtype", "hidden_act", "text_config", "vocab_size", "hidden_size",
        "num_attention_heads", "num_key_value_heads", "head_dim", "num_hidden_layers", "intermediate_size", "num_local_experts",
        "num_experts_per_tok", "tie_word_embeddings", "sliding_window", "rms_norm_eps"};

    static final Pattern VALUE = Pattern.compile("(\"[A-Za-z_0-9]+\"\\s*:\\s*)(\"[^\"]*\"|-?[0-9][0-9.eE+-]*|true|false|null)");

    /** One to four edits of a config: a value replaced, a key renamed or dropped, a field added or doubled, a text cut, or random bytes. */
    static byte[] mutateConfig(String json, Random r) {
        int kind = r.nextInt(12);
        if (kind == 0) {
            byte[] b = new byte[r.nextInt(500)];
            r.nextBytes(b);
            return b;
        }
        if (kind == 1) return json.substring(0, r.nextInt(json.length() + 1)).getBytes(StandardCharsets.UTF_8);
        String s = json;
        int edits = 1 + r.nextInt(4);
        for (int e = 0; e < edits; e++) {
            Matcher m = VALUE.matcher(s);
            List<int[]> spans = new ArrayList<>();
            while (m.find()) spans.add(new int[] {m.start(1), m.end(1), m.end(2)});
            if (spans.isEmpty()) break;
            int[] at = spans.get(r.nextInt(spans.size()));
            switch (r.nextInt(5)) {
                case 0, 1 -> s = s.substring(0, at[1]) + VALUES[r.nextInt(VALUES.length)] + s.substring(at[2]);
                case 2 -> s = s.substring(0, at[0]) + "\"" + KEYS[r.nextInt(KEYS.length)] + "\": " + s.substring(at[1]);
                case 3 -> {
                    int end = at[2] < s.length() && s.charAt(at[2]) == ',' ? at[2] + 1 : at[2];
                    s = s.substring(0, at[0]) + s.substring(end);
                }
                default -> {
                    int brace = s.indexOf('{');
                    s = s.substring(0, brace + 1) + "\"" + KEYS[r.nextInt(KEYS.length)] + "\": " + VALUES[r.nextInt(VALUES.length)] + ", "
                            + s.substring(brace + 1);
                }
            }
        }
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configCases")
    void importNeverCrashes(String name, Path original, long seed, @TempDir Path dir) throws IOException {
        Path config = dir.resolve("fuzz.config.json");
        Files.write(config, mutateConfig(Files.readString(original, StandardCharsets.UTF_8), new Random(seed)));
        Path out = dir.resolve("fuzzed.pdag");
        Run r = cli("import", "hf", config.toString(), "-o", out.toString());
        assertClean(name, r);
        if (r.code() == 0) {
            assertImportedModel(name, Files.readString(out, StandardCharsets.UTF_8), "Fuzzed");
        } else {
            assertFalse(Files.exists(out), name + ": nothing is written on errors");
        }
    }

    /** The written file parses and elaborates, declaring exactly the one model {@code name}. */
    static void assertImportedModel(String what, String text, String model) {
        Diagnostics d = new Diagnostics();
        Program p = new Loader(d).loadRoot(SourceFile.of("imported.pdag", null, text)).orElse(null);
        assertTrue(p != null && !d.hasErrors(), () -> what + ":\n" + DiagnosticRenderer.render(d.sorted()) + text);
        List<String> models = new Elaborator(p, d).rootModels().stream().map(m -> m.name()).toList();
        assertFalse(d.hasErrors(), () -> what + ":\n" + DiagnosticRenderer.render(d.sorted()) + text);
        assertEquals(List.of(model), models, what + ":\n" + text);
    }

    static Stream<Arguments> pdagCases() throws IOException {
        List<Path> corpus = new ArrayList<>(files("examples", ".pdag"));
        corpus.addAll(files("stdlib/std", ".pdag"));
        Random random = new Random(FuzzTest.SEED ^ 0xF3);
        List<Arguments> out = new ArrayList<>();
        for (int i = 0; i < FORMATS; i++) {
            Path file = corpus.get(i % corpus.size());
            long seed = random.nextLong();
            out.add(Arguments.of(i + ": " + Repo.root().relativize(file) + " #" + Long.toHexString(seed), file, seed));
        }
        return out.stream();
    }

    /** What check says, without locations (formatting moves text): exit code and each diagnostic's header line, sorted. */
    static String verdict(Run r) {
        return r.code() + "\n" + r.err().lines().filter(l -> l.matches("(error|warning)\\[[EW][0-9]{4}\\]: .*")).sorted().reduce("", (a, b) -> a + b + "\n");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pdagCases")
    void fmtIsIdempotentAndKeepsWhatCheckSays(String name, Path original, long seed, @TempDir Path dir) throws IOException {
        Random r = new Random(seed);
        String text = Files.readString(original, StandardCharsets.UTF_8);
        byte[] input = r.nextBoolean() ? FuzzTest.mutate(text, r) : FuzzTest.plausibleEdit(text, r).getBytes(StandardCharsets.UTF_8);
        // In a fresh directory: a relative import fails alike before and after fmt (std imports resolve anywhere).
        Path file = dir.resolve("fuzz.pdag");
        Files.write(file, input);
        Run before = cli("check", file.toString());
        assertClean(name + " check", before);
        Run fmt = cli("fmt", file.toString());
        assertClean(name + " fmt", fmt);
        if (fmt.code() != 0) {
            assertArrayEquals(input, Files.readAllBytes(file), name + ": a file fmt cannot format is left as it was");
            return;
        }
        byte[] once = Files.readAllBytes(file);
        Run again = cli("fmt", file.toString());
        assertEquals(0, again.code(), name + ":\n" + again.err());
        assertArrayEquals(once, Files.readAllBytes(file), name + ": fmt is idempotent");
        assertEquals(0, cli("fmt", "--check", file.toString()).code(), name);
        Run after = cli("check", file.toString());
        assertEquals(verdict(before), verdict(after), name + ": fmt changed what check says\n--- before\n" + before.err() + "--- after\n" + after.err()
                + "--- formatted\n" + new String(once, StandardCharsets.UTF_8));
    }
}
