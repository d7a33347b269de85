package pdagc.cli;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes an output file all or nothing: into a temporary file beside the target, renamed into
 * place only when complete. On any failure the target is absent or untouched.
 */
final class OutputFiles {
    private OutputFiles() {}

    /** Produces the bytes of an output. */
    interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    /** Returns an exit code; messages go to {@code err}. {@code target == null} or "-" means stdout. */
    static int write(Path target, Path input, Content content, OutputStream stdout, PrintWriter err) {
        if (target == null || target.toString().equals("-")) {
            try {
                content.writeTo(stdout);
                stdout.flush();
                return Main.OK;
            } catch (IOException e) {
                err.println("error: cannot write to stdout: " + e.getMessage());
                return Main.USAGE;
            }
        }
        Path abs = target.toAbsolutePath().normalize();
        Path dir = abs.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            err.println("error: cannot write " + target + ": the directory " + (dir == null ? "" : target.getParent()) + " does not exist");
            return Main.USAGE;
        }
        if (Files.isDirectory(abs)) {
            err.println("error: cannot write " + target + ": it is a directory");
            return Main.USAGE;
        }
        try {
            if (Files.exists(abs) && Files.isSameFile(abs, input.toAbsolutePath())) {
                err.println("error: -o " + target + " names the input file; refusing to overwrite it");
                return Main.USAGE;
            }
        } catch (IOException e) {
            // cannot tell: go on, the write below reports real failures
        }
        return atomically(abs, target, content, err);
    }

    /** Replaces an existing file's content all or nothing (temporary file beside it, then rename); an exit code. */
    static int replace(Path target, byte[] content, PrintWriter err) {
        return atomically(target.toAbsolutePath().normalize(), target, out -> out.write(content), err);
    }

    /** The one home of all-or-nothing writing: a hidden temporary file beside the target, renamed over it. */
    private static int atomically(Path abs, Path shown, Content content, PrintWriter err) {
        Path tmp = abs.resolveSibling("." + abs.getFileName() + "." + ProcessHandle.current().pid() + "." + System.nanoTime() + ".tmp");
        try {
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp, java.nio.file.StandardOpenOption.CREATE_NEW,
                    java.nio.file.StandardOpenOption.WRITE), 1 << 16)) {
                content.writeTo(out);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            return Main.OK;
        } catch (IOException | SecurityException e) {
            err.println("error: cannot write " + shown + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
            return Main.USAGE;
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // best effort: the temporary file is hidden and named after the target
            }
        }
    }
}
