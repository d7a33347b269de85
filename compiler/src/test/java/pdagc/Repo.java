package pdagc;

import java.nio.file.Files;
import java.nio.file.Path;

/** Paths of the repository for tests: surefire runs in compiler/ and passes the root as pdagc.root. */
public final class Repo {
    private Repo() {}

    public static Path root() {
        String p = System.getProperty("pdagc.root");
        Path root = p != null ? Path.of(p) : Path.of("..");
        return root.toAbsolutePath().normalize();
    }

    public static Path file(String relative) {
        return root().resolve(relative);
    }

    /** The shared reference facts beside the repository. */
    public static Path reference(String relative) {
        return root().resolve("../shared/reference").resolve(relative).normalize();
    }

    public static boolean exists(String relative) {
        return Files.exists(file(relative));
    }
}
