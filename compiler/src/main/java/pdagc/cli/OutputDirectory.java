package pdagc.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * Writes a set of output files below a directory all or nothing, as {@link OutputFiles} writes one
 * file: everything is written into a temporary directory first. A new directory is then renamed
 * into place as a whole; into an existing one, each file is renamed over its old version, so every
 * file is either its old or its new version, never half written, and on an error before the renames
 * nothing has changed. Other files in the directory are left alone. The temporary directory is
 * registered with {@link TempFiles}, so that SIGINT or SIGTERM during a write leaves none behind.
 */
final class OutputDirectory {
    private OutputDirectory() {}

    /** One file: its path below the directory ({@code /}-separated) and its bytes. */
    record Entry(String path, byte[] bytes) {}

    /** Returns an exit code; messages go to {@code err}. */
    static int write(Path target, List<Entry> entries, PrintWriter err) {
        Path dir = target.toAbsolutePath().normalize();
        Path parent = dir.getParent();
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            err.println("error: cannot write into " + target + ": it is not a directory");
            return Main.USAGE;
        }
        if (parent == null || !Files.isDirectory(parent)) {
            err.println("error: cannot write into " + target + ": the directory " + (parent == null ? "" : target.toAbsolutePath().getParent()) + " does not exist");
            return Main.USAGE;
        }
        boolean fresh = !Files.exists(dir);
        Path tmp = null;
        try {
            String stamp = ProcessHandle.current().pid() + "." + System.nanoTime() + ".tmp";
            tmp = TempFiles.register(fresh ? parent.resolve("." + dir.getFileName() + "." + stamp) : dir.resolve(".pdagc." + stamp));
            Files.createDirectory(tmp);
            for (Entry e : entries) {
                Path file = tmp.resolve(e.path());
                Files.createDirectories(file.getParent());
                Files.write(file, e.bytes());
            }
            if (fresh) {
                move(tmp, dir);
                TempFiles.forget(tmp);
                tmp = null;
            } else {
                for (Entry e : entries) {
                    Path to = dir.resolve(e.path());
                    Files.createDirectories(to.getParent());
                    move(tmp.resolve(e.path()), to);
                }
            }
            return Main.OK;
        } catch (IOException | SecurityException e) {
            err.println("error: cannot write into " + target + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
            return Main.USAGE;
        } finally {
            if (tmp != null) {
                TempFiles.delete(tmp);
                TempFiles.forget(tmp);
            }
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
