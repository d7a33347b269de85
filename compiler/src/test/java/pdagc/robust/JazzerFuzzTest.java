package pdagc.robust;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import pdagc.cli.Main;

/**
 * Coverage-guided fuzzing of `pdagc check` with Jazzer. Under `mvn test` it runs in regression
 * mode over its seed inputs (in the test resources next to this class); with {@code JAZZER_FUZZ=1}
 * it fuzzes: {@code JAZZER_FUZZ=1 mvn test -pl grammar,stdlib,compiler -Dtest=JazzerFuzzTest
 * -Dsurefire.failIfNoSpecifiedTests=false}. Every input must end in exit 0, or exit 1 with coded
 * diagnostics. {@code importNeverCrashes} feeds the bytes to {@code import hf} as a config (on
 * success the written model must parse and elaborate); {@code fmtNeverCrashes} to {@code fmt}
 * (idempotent, a file it cannot format left as it was, what {@code check} says unchanged).
 */
class JazzerFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void checkNeverCrashes(byte[] input) throws IOException {
        Path file = Files.createTempFile("jazzer", ".pdag");
        try {
            Files.write(file, input);
            StringWriter err = new StringWriter();
            int code = Main.run(new String[] {"check", file.toString()}, new PrintWriter(new StringWriter()), new PrintWriter(err));
            String stderr = err.toString();
            assertTrue(code == 0 || code == 1, "exit " + code + ": " + stderr);
            assertFalse(pdagc.robust.FuzzTest.internalError(stderr), stderr);
            if (code == 1) assertTrue(stderr.contains("error[E"), stderr);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @FuzzTest(maxDuration = "60s")
    void importNeverCrashes(byte[] input) throws IOException {
        Path dir = Files.createTempDirectory("jazzer");
        try {
            Path config = Files.write(dir.resolve("fuzz.config.json"), input);
            Path out = dir.resolve("fuzzed.pdag");
            ImportFmtFuzzTest.Run r = ImportFmtFuzzTest.cli("import", "hf", config.toString(), "-o", out.toString());
            ImportFmtFuzzTest.assertClean("import hf", r);
            if (r.code() == 0) ImportFmtFuzzTest.assertImportedModel("import hf", Files.readString(out), "Fuzzed");
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        }
    }

    @FuzzTest(maxDuration = "60s")
    void fmtNeverCrashes(byte[] input) throws IOException {
        Path file = Files.createTempFile("jazzer", ".pdag");
        try {
            Files.write(file, input);
            ImportFmtFuzzTest.Run before = ImportFmtFuzzTest.cli("check", file.toString());
            ImportFmtFuzzTest.Run fmt = ImportFmtFuzzTest.cli("fmt", file.toString());
            ImportFmtFuzzTest.assertClean("fmt", fmt);
            if (fmt.code() != 0) {
                org.junit.jupiter.api.Assertions.assertArrayEquals(input, Files.readAllBytes(file));
                return;
            }
            byte[] once = Files.readAllBytes(file);
            org.junit.jupiter.api.Assertions.assertEquals(0, ImportFmtFuzzTest.cli("fmt", file.toString()).code());
            org.junit.jupiter.api.Assertions.assertArrayEquals(once, Files.readAllBytes(file), "fmt is idempotent");
            org.junit.jupiter.api.Assertions.assertEquals(ImportFmtFuzzTest.verdict(before), ImportFmtFuzzTest.verdict(ImportFmtFuzzTest.cli("check", file.toString())));
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
