package pdagc.robust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import pdagc.Repo;

/**
 * The property {@code check} accepts a plan only if {@code verify} proves it, held on a seeded
 * run of the generative strategy fuzzer ({@link StrategyFuzz}) and on every case it (or a person)
 * ever found wrong, kept in {@code src/test/resources/fuzz/regressions} with the outcome expected.
 * {@code -Dpdagc.fuzz.cases=N -Dpdagc.fuzz.seed=S} run another stretch; docs/design.md (Robustness) gives the
 * command for long runs.
 */
public class StrategyFuzzTest {
    private static final Path REGRESSIONS = Repo.file("compiler/src/test/resources/fuzz/regressions");
    private static final Pattern EXPECT = Pattern.compile("(?m)^// expect: (proven|refused(?: (E\\d{4}))?)\\s*$");

    @Test
    void seededRunHoldsTheProperty() {
        int cases = Integer.getInteger("pdagc.fuzz.cases", 300);
        long seed = Long.getLong("pdagc.fuzz.seed", 20261205L);
        EnumMap<StrategyFuzz.Outcome, Integer> tally = new EnumMap<>(StrategyFuzz.Outcome.class);
        List<String> failures = new ArrayList<>();
        for (long s = seed; s < seed + cases; s++) {
            StrategyFuzz.Result r = StrategyFuzz.run(s);
            tally.merge(r.outcome(), 1, Integer::sum);
            if (r.outcome() == StrategyFuzz.Outcome.FAILED) {
                if (failures.size() < 5) failures.add("seed " + s + ": " + r.why() + "\n" + r.source());
                keep(r);
            }
        }
        if (!failures.isEmpty()) fail(tally + "\n" + String.join("\n\n", failures));
        // The run is worth something only if it reaches verify often: most generated plans are legal.
        int proven = tally.getOrDefault(StrategyFuzz.Outcome.PROVEN, 0);
        assertTrue(proven >= cases / 3, "only " + proven + " of " + cases + " cases were accepted and proven: " + tally);
    }

    /** With {@code -Dpdagc.fuzz.out=DIR}, a failing case is written there as {@code fuzz_SEED.pdag}, its reason in a comment. */
    private static void keep(StrategyFuzz.Result r) {
        String dir = System.getProperty("pdagc.fuzz.out");
        if (dir != null) StrategyFuzz.keep(Path.of(dir), r);
    }

    @Test
    void generationIsDeterministic() {
        for (long s = 1; s <= 20; s++) assertEquals(StrategyFuzz.generate(s), StrategyFuzz.generate(s));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("regressions")
    void everyFailureFoundStaysFixed(String name) throws IOException {
        String source = Files.readString(REGRESSIONS.resolve(name));
        Matcher m = EXPECT.matcher(source);
        assertTrue(m.find(), name + " says what it expects: `// expect: proven` or `// expect: refused E0xxx`");
        StrategyFuzz.Result r = StrategyFuzz.judge(0, source);
        if (r.outcome() == StrategyFuzz.Outcome.FAILED) fail(name + ": " + r.why());
        if (m.group(1).equals("proven")) {
            assertEquals(StrategyFuzz.Outcome.PROVEN, r.outcome(), name + " was refused by " + r.refusedBy());
        } else {
            assertEquals(StrategyFuzz.Outcome.REFUSED, r.outcome(), name + " should be refused");
            if (m.group(2) != null) assertTrue(r.refusedBy().contains(m.group(2)), name + " was refused by " + r.refusedBy() + ", not " + m.group(2));
        }
    }

    static Stream<String> regressions() throws IOException {
        try (Stream<Path> files = Files.list(REGRESSIONS)) {
            List<String> names = files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".pdag")).sorted().toList();
            assertTrue(names.size() >= 8);
            return names.stream();
        }
    }
}
