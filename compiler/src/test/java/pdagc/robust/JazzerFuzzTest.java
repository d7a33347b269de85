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
 * diagnostics.
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
}
