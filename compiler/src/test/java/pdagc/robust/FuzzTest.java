package pdagc.robust;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

/**
 * No input crashes pdagc: seeded mutations of every example and stdlib file (tokens deleted,
 * duplicated, swapped, replaced; huge numbers, deep nesting, long names, odd Unicode), random
 * token streams and random bytes each end in exit 0, or exit 1 with coded diagnostics, never an
 * internal error, a Java trace or a hang. Edits that keep the syntax (numbers, names, lines)
 * go on through every command that writes or runs a plan. The count is bounded for the test suite
 * ({@code -Dpdagc.fuzz.count=N} runs more; the seed is fixed, {@code -Dpdagc.fuzz.seed=S} changes it).
 */
class FuzzTest {
    static final int COUNT = Integer.getInteger("pdagc.fuzz.count", 120);
    static final long SEED = Long.getLong("pdagc.fuzz.seed", 20261124L);
    static final Pattern TOKEN = Pattern.compile("[A-Za-z_][A-Za-z_0-9]*|[0-9][0-9_.]*|\"[^\"\\n]*\"|//[^\\n]*|\\S");
    static final String[] POOL = {
        "model", "cluster", "workload", "strategy", "deploy", "block", "import", "gpu", "require", "return", "on", "with", "for",
        "{", "}", "[", "]", "(", ")", ",", ":", "=", "@column(tp)", "@row(tp)", "->", "+", "*", "/", "-", "<=",
        "0", "1", "-1", "99999999999999999999", "9223372036854775807", "4611686018427387904", "1e308", "0.5", "64 GB", "10 s",
        "tp", "dp", "ep", "pp", "cp", "sp", "etp", "mesh", "layers", "heads", "hidden", "experts", "micro_batches",
        "\"</svg>\"", "\"*/\"", "é", "\u202e", "\uD83D\uDE00", "\u0000", "\\u000a", "a".repeat(3000)
    };

    static Stream<Arguments> cases() throws IOException {
        List<Path> corpus = new ArrayList<>();
        for (String dir : List.of("examples", "stdlib/std", "bench")) {
            try (Stream<Path> files = Files.list(Repo.file(dir))) {
                files.filter(f -> f.toString().endsWith(".pdag")).sorted().forEach(corpus::add);
            }
        }
        Random random = new Random(SEED);
        List<Arguments> out = new ArrayList<>();
        for (int i = 0; i < COUNT; i++) {
            long seed = random.nextLong();
            Path file = corpus.get(i % corpus.size());
            out.add(Arguments.of(i + ": " + Repo.root().relativize(file) + " #" + Long.toHexString(seed), file, seed));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void neverCrashes(String name, Path original, long seed, @TempDir Path dir) throws IOException {
        Random r = new Random(seed);
        byte[] input = mutate(Files.readString(original, StandardCharsets.UTF_8), r);
        Path file = dir.resolve("fuzz.pdag");
        Files.write(file, input);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> Main.run(new String[] {"check", file.toString()}, new PrintWriter(out), new PrintWriter(err)), name);
        String stderr = err.toString();
        assertTrue(code == 0 || code == 1, name + " exited " + code + ":\n" + stderr);
        assertFalse(internalError(stderr), name + ":\n" + stderr);
        if (code == 1) assertTrue(stderr.contains("error[E"), name + " failed without a coded diagnostic:\n" + stderr);
    }

    /** The plausible edits leave out bench/: its plans are written to JSON in gigabytes. */
    static Stream<Arguments> plausibleCases() throws IOException {
        return cases().filter(a -> !a.get()[1].toString().contains("/bench/")).limit(Math.max(1, COUNT / 2));
    }

    /**
     * Edits that keep a file's syntax (a number, a name or a line changed) reach the later passes:
     * the strategy checks, partitioning, validation, the backends and verify. Each such file, run
     * through one of the commands that write or run a plan, ends in exit 0 or in coded diagnostics.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("plausibleCases")
    void neverCrashesOnPlausibleEdits(String name, Path original, long seed, @TempDir Path dir) throws IOException {
        Random r = new Random(seed);
        Path file = dir.resolve("edited.pdag");
        Files.writeString(file, plausibleEdit(Files.readString(original, StandardCharsets.UTF_8), r));
        List<String> args = new ArrayList<>(switch (r.nextInt(6)) {
            case 0 -> List.of("check", file.toString());
            case 1 -> List.of(file.toString(), "--emit", "json", "-o", dir.resolve("plan.json").toString());
            case 2 -> List.of(file.toString(), "--emit", "dot", "-o", dir.resolve("plan.dot").toString());
            // the two outputs written as a directory, half the cases each (r is drawn here only, so other cases keep their draws)
            case 3 -> r.nextBoolean() ? List.of(file.toString(), "--emit", "java", "-o", dir.resolve("java").toString())
                    : List.of(file.toString(), "--emit", "chakra", "-o", dir.resolve("traces").toString());
            case 4 -> List.of(file.toString(), "--emit", "report");
            default -> List.of("verify", file.toString());
        });
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = assertTimeoutPreemptively(Duration.ofSeconds(120),
                () -> Main.run(args.toArray(new String[0]), new PrintWriter(out), new PrintWriter(err)), name);
        String stderr = err.toString();
        assertTrue(code == 0 || code == 1, name + " " + args + " exited " + code + ":\n" + stderr);
        assertFalse(internalError(stderr), name + " " + args + ":\n" + stderr);
        // A file with several deploys asks for --deploy (E0312), a coded diagnostic too.
        if (code == 1) assertTrue(stderr.contains("error[E"), name + " " + args + " failed without a coded diagnostic:\n" + stderr);
    }

    static final String[] NUMBERS = {"0", "1", "2", "3", "4", "5", "7", "8", "12", "16", "31", "32", "48", "64", "100", "128", "256", "1000",
        "4096", "65536", "999999999999"};
    static final Pattern NUMBER = Pattern.compile("\\b[0-9]+\\b");
    static final Pattern NAME = Pattern.compile("\\b[A-Za-z_][A-Za-z_0-9]*\\b");

    /** One to three edits that keep the tokens well formed: a number or a name replaced, a line deleted, doubled or swapped. */
    static String plausibleEdit(String text, Random r) {
        List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
        List<String> names = new ArrayList<>();
        Matcher all = NAME.matcher(text);
        while (all.find()) names.add(all.group());
        int edits = 1 + r.nextInt(3);
        for (int e = 0; e < edits; e++) {
            int at = r.nextInt(lines.size());
            String line = lines.get(at);
            int kind = r.nextInt(10);
            if (kind < 7) {
                Matcher m = (kind < 5 ? NUMBER : NAME).matcher(line);
                List<int[]> spans = new ArrayList<>();
                while (m.find()) spans.add(new int[] {m.start(), m.end()});
                if (spans.isEmpty() || names.isEmpty()) continue;
                int[] s = spans.get(r.nextInt(spans.size()));
                String by = kind < 5 ? NUMBERS[r.nextInt(NUMBERS.length)] : names.get(r.nextInt(names.size()));
                lines.set(at, line.substring(0, s[0]) + by + line.substring(s[1]));
            } else if (kind == 7) {
                lines.remove(at);
                if (lines.isEmpty()) lines.add("");
            } else if (kind == 8) {
                lines.add(at, line);
            } else {
                int other = r.nextInt(lines.size());
                lines.set(at, lines.get(other));
                lines.set(other, line);
            }
        }
        return String.join("\n", lines);
    }

    /**
     * Whether pdagc reported an internal error or a Java trace: its own report line or a trace
     * frame at the start of a line (the input itself is quoted in diagnostics and may hold any text).
     */
    static boolean internalError(String stderr) {
        for (String line : stderr.split("\n")) {
            if (line.startsWith("internal error, please report") || line.startsWith("\tat ") || line.startsWith("Exception in thread")) return true;
        }
        return false;
    }

    /** One of: token edits of the file, a deep nesting, a random token stream, or random bytes. */
    static byte[] mutate(String text, Random r) {
        int kind = r.nextInt(10);
        if (kind == 0) {
            byte[] b = new byte[r.nextInt(2000)];
            r.nextBytes(b);
            return b;
        }
        if (kind == 1) {
            StringBuilder s = new StringBuilder();
            for (int i = 0; i < 200; i++) s.append(POOL[r.nextInt(POOL.length)]).append(r.nextBoolean() ? " " : "\n");
            return s.toString().getBytes(StandardCharsets.UTF_8);
        }
        List<String> tokens = new ArrayList<>();
        List<Integer> starts = new ArrayList<>();
        Matcher m = TOKEN.matcher(text);
        while (m.find()) {
            tokens.add(m.group());
            starts.add(m.start());
        }
        if (kind == 2) {
            int at = starts.isEmpty() ? 0 : starts.get(r.nextInt(starts.size()));
            String nest = "(".repeat(3000) + "1" + ")".repeat(3000);
            return (text.substring(0, at) + "x = " + nest + " " + text.substring(at)).getBytes(StandardCharsets.UTF_8);
        }
        int edits = 1 + r.nextInt(4);
        for (int e = 0; e < edits && !tokens.isEmpty(); e++) {
            int i = r.nextInt(tokens.size());
            switch (r.nextInt(4)) {
                case 0 -> tokens.remove(i);
                case 1 -> tokens.add(i, tokens.get(i));
                case 2 -> {
                    int j = Math.min(tokens.size() - 1, i + 1);
                    String t = tokens.get(i);
                    tokens.set(i, tokens.get(j));
                    tokens.set(j, t);
                }
                default -> tokens.set(i, POOL[r.nextInt(POOL.length)]);
            }
        }
        StringBuilder s = new StringBuilder();
        for (String t : tokens) s.append(t).append(t.startsWith("//") ? "\n" : " ");
        return s.toString().getBytes(StandardCharsets.UTF_8);
    }
}
