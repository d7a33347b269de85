package pdagc.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A child process for {@link OutputFilesTest}: writes an endless output to {@code args[0]} through
 * {@link OutputFiles}, as a large plan would, until a signal ends it.
 */
public final class SlowWriter {
    private SlowWriter() {}

    public static void main(String[] args) {
        byte[] chunk = "x".repeat(1 << 16).getBytes(StandardCharsets.UTF_8);
        PrintWriter err = new PrintWriter(System.err, true);
        int code = OutputFiles.write(Path.of(args[0]), null, out -> {
            while (true) {
                out.write(chunk);
                out.flush();
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }, System.out, err);
        System.exit(code);
    }
}
