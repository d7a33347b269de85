package pdagc.cli;

import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The launcher's training run for its class-data-sharing archive: in one JVM, checks a file and
 * compiles it to JSON (into a temporary file), so that the classes of both commands are archived.
 * Output is discarded; the exit code is the worst of the two runs.
 */
public final class Training {
    private Training() {}

    public static void main(String[] args) throws java.io.IOException {
        if (args.length != 1) {
            System.err.println("usage: Training FILE");
            System.exit(Main.USAGE);
        }
        Path json = Files.createTempFile("pdagc-training", ".json");
        int code;
        try {
            PrintWriter quiet = new PrintWriter(OutputStream.nullOutputStream());
            int check = Main.run(new String[] {"check", args[0]}, OutputStream.nullOutputStream(), quiet);
            int emit = Main.run(new String[] {args[0], "--emit", "json", "-o", json.toString()}, OutputStream.nullOutputStream(), quiet);
            code = Math.max(check, emit);
        } finally {
            Files.deleteIfExists(json);
        }
        System.exit(code);
    }
}
