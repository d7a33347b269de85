package pdagc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which command lines start their compilation early, and that a command takes only its own. */
class PrefetchTest {
    static final Set<String> SUBCOMMANDS = Set.of("check", "verify", "import", "stats", "fmt", "lsp");

    static boolean starts(String... args) {
        Prefetch.start(args, SUBCOMMANDS);
        boolean started = Prefetch.pending();
        Prefetch.start(new String[0], SUBCOMMANDS);   // clears it
        return started;
    }

    @Test
    void onlyCompilationsTheArgumentsFixStartEarly() {
        assertTrue(starts("check", "a.pdag"));
        assertTrue(starts("a.pdag"));
        assertTrue(starts("a.pdag", "--emit", "json", "-o", "a.json"));
        assertTrue(starts("a.pdag", "--emit=svg", "--view", "roles", "--budget", "10", "--deploy", "D"));
        assertFalse(starts("check", "a.pdag", "b.pdag"), "several files");
        assertFalse(starts("check", "--help"));
        assertFalse(starts("a.pdag", "--print-ir-after", "lower"), "an option that changes the compilation");
        assertFalse(starts("a.pdag", "--emit"), "a missing value");
        assertFalse(starts("verify", "a.pdag"));
        assertFalse(starts("@args"));
        assertFalse(starts("--version"));
    }

    @Test
    void aCommandTakesOnlyTheCompilationItAsksFor() {
        Prefetch.start(new String[] {"missing.pdag", "--deploy", "D"}, SUBCOMMANDS);
        assertTrue(Prefetch.take("compile", Path.of("missing.pdag"), null).isEmpty(), "another deploy");
        assertTrue(Prefetch.take("check", Path.of("missing.pdag"), "D").isEmpty(), "another form");
        assertTrue(Prefetch.take("compile", Path.of("other.pdag"), "D").isEmpty(), "another file");
        Prefetch.Result r = Prefetch.take("compile", Path.of("missing.pdag"), "D").orElseThrow();
        assertTrue(r.compiler().diagnostics().hasErrors(), "the early compilation collected its diagnostics");
        assertFalse(Prefetch.pending());
        assertEquals(java.util.Optional.empty(), Prefetch.take("compile", Path.of("missing.pdag"), "D"), "taken once");
    }
}
