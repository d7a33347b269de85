package pdagc.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Compares a backend's output with its expected file under {@code src/test/resources/golden};
 * with {@code -Dbless=true} it rewrites the expected file instead, for changes that are intended
 * (review the diff before committing).
 */
final class Golden {
    private Golden() {}

    static void check(String name, String actual) throws IOException {
        Path file = dir().resolve(name);
        if (Boolean.getBoolean("bless")) {
            Files.createDirectories(file.getParent());
            Files.writeString(file, actual, StandardCharsets.UTF_8);
            return;
        }
        assertTrue(Files.exists(file), "no golden file " + name + ": run the test with -Dbless=true to create it");
        assertEquals(Files.readString(file, StandardCharsets.UTF_8), actual,
                "output differs from golden " + name + " (run with -Dbless=true if the change is intended)");
    }

    private static Path dir() {
        String root = System.getProperty("pdagc.root");
        Path module = root == null ? Path.of("") : Path.of(root, "compiler");
        return module.resolve("src/test/resources/golden");
    }
}
