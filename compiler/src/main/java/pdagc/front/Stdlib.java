package pdagc.front;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Finds the standard library's files: from a directory when {@code pdagc.stdlib} (or the
 * environment variable {@code PDAGC_STDLIB}) names one, otherwise from the class path, where the
 * stdlib module packs them.
 */
public final class Stdlib {
    private Stdlib() {}

    /** Where stdlib files are shown to come from in diagnostics. */
    public static String displayName(String relative) {
        return "<std>/" + relative;
    }

    public static Optional<Path> directory() {
        String dir = System.getProperty("pdagc.stdlib", System.getenv("PDAGC_STDLIB"));
        return dir == null || dir.isBlank() ? Optional.empty() : Optional.of(Path.of(dir));
    }

    /** Reads {@code std/blocks.pdag} and the like. */
    public static Optional<String> read(String relative) throws IOException {
        Optional<Path> dir = directory();
        if (dir.isPresent()) {
            Path file = dir.get().resolve(relative);
            return Files.isRegularFile(file) ? Optional.of(Files.readString(file)) : Optional.empty();
        }
        try (InputStream in = Stdlib.class.getClassLoader().getResourceAsStream(relative)) {
            return in == null ? Optional.empty() : Optional.of(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }
}
