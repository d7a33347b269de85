package pdagc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Golden files: compares output with a file kept in the repository, or rewrites the file when the
 * tests run with {@code -Dbless=true} (then review the diff before committing).
 */
public final class Golden {
    private Golden() {}

    public static boolean blessing() {
        return Boolean.getBoolean("bless");
    }

    /** The golden file {@code name} under the compiler's test resources. */
    public static void check(String name, String actual) {
        check(Repo.root().resolve("compiler/src/test/resources/golden").resolve(name), actual);
    }

    public static void check(Path golden, String actual) {
        try {
            if (blessing() || !Files.exists(golden)) {
                if (!blessing()) throw new AssertionError("missing golden file " + golden + "; run the tests with -Dbless=true to write it");
                Files.createDirectories(golden.getParent());
                Files.writeString(golden, actual, StandardCharsets.UTF_8);
                return;
            }
            assertEquals(Files.readString(golden, StandardCharsets.UTF_8), actual, "differs from " + golden + " (rerun with -Dbless=true if intended)");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
