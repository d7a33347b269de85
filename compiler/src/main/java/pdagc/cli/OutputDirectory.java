package pdagc.cli;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

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

    /** Opens the files of one write, each below the temporary directory; a file is complete once its stream is closed. */
    interface Files {
        OutputStream open(String path) throws IOException;
    }

    /** Writes the files of an output through {@link Files}, streaming: nothing need be held in memory. */
    interface Content {
        void writeTo(Files files) throws IOException;
    }

    /** Returns an exit code; messages go to {@code err}. */
    static int write(Path target, List<Entry> entries, PrintWriter err) {
        return write(target, files -> {
            for (Entry e : entries) {
                try (OutputStream o = files.open(e.path())) {
                    o.write(e.bytes());
                }
            }
        }, err);
    }

    /**
     * Writes the files that {@code content} opens, all or nothing; returns an exit code, messages go
     * to {@code err}. A file opened twice is refused (an internal error: the content is wrong).
     */
    static int write(Path target, Content content, PrintWriter err) {
        Path dir = target.toAbsolutePath().normalize();
        Path parent = dir.getParent();
        if (java.nio.file.Files.exists(dir) && !java.nio.file.Files.isDirectory(dir)) {
            err.println("error: cannot write into " + target + ": it is not a directory");
            return Main.USAGE;
        }
        if (parent == null || !java.nio.file.Files.isDirectory(parent)) {
            err.println("error: cannot write into " + target + ": the directory " + (parent == null ? "" : target.toAbsolutePath().getParent()) + " does not exist");
            return Main.USAGE;
        }
        boolean fresh = !java.nio.file.Files.exists(dir);
        Path tmp = null;
        try {
            String stamp = ProcessHandle.current().pid() + "." + System.nanoTime() + ".tmp";
            tmp = TempFiles.register(fresh ? parent.resolve("." + dir.getFileName() + "." + stamp) : dir.resolve(".pdagc." + stamp));
            java.nio.file.Files.createDirectory(tmp);
            Path root = tmp;
            Set<String> written = new LinkedHashSet<>();
            content.writeTo(path -> {
                if (!written.add(path)) throw new IllegalStateException("output file " + path + " written twice");
                Path file = root.resolve(path).normalize();
                if (!file.startsWith(root) || file.equals(root)) throw new IllegalStateException("output file " + path + " outside its directory");
                return new BufferedOutputStream(TempFiles.newOutput(file), 1 << 16);
            });
            if (fresh) {
                move(tmp, dir);
                TempFiles.forget(tmp);
                tmp = null;
            } else {
                for (String path : written) {
                    Path to = dir.resolve(path);
                    java.nio.file.Files.createDirectories(to.getParent());
                    move(tmp.resolve(path), to);
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
            java.nio.file.Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            java.nio.file.Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
