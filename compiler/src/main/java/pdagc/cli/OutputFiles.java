package pdagc.cli;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;

/**
 * Writes an output file all or nothing: into a temporary file beside the target, renamed into
 * place only when complete. On any failure the target is absent or untouched. Replacing a file
 * keeps what the file is, not only what it says:
 *
 * <ul>
 *   <li>A target that is not a regular file or a directory (a device such as {@code /dev/null},
 *       a FIFO, {@code /dev/stdout}) is written directly, streaming, never replaced by a
 *       regular file. (Such a write is not all or nothing: a reader sees what came before an
 *       error.) {@code -o -} remains the way to write to standard output.
 *   <li>A symbolic link is written through: the file it points at (links followed to the end) is
 *       replaced and the link is kept.
 *   <li>An existing file keeps its POSIX permissions, and its owner and group where the user may
 *       set them (root, or a group the user is in).
 *   <li>A file with more than one hard link is overwritten in place, so every link keeps seeing
 *       it: the whole new content is written to the temporary file first (an error while making
 *       it leaves the file untouched), then copied over the old content; only an I/O error during
 *       that copy (a full disk) could leave it half written.
 * </ul>
 *
 * Every temporary file is registered with {@link TempFiles}, so that SIGINT or SIGTERM during a
 * write leaves none behind.
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
                err.println("error: cannot write to stdout: " + why(e));
                return Main.USAGE;
            }
        }
        Path abs = target.toAbsolutePath().normalize();
        BasicFileAttributes attrs = attributes(abs);
        if (attrs != null && attrs.isDirectory()) {
            err.println("error: cannot write " + target + ": it is a directory");
            return Main.USAGE;
        }
        if (attrs != null && input != null) {
            try {
                if (Files.isSameFile(abs, input.toAbsolutePath())) {
                    err.println("error: -o " + target + " names the input file; refusing to overwrite it");
                    return Main.USAGE;
                }
            } catch (IOException | SecurityException e) {
                // cannot tell: go on, the write below reports real failures
            }
        }
        if (attrs != null && !attrs.isRegularFile()) return streamed(abs, target, content, err);
        Path real = realTarget(abs);
        Path dir = real.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            err.println("error: cannot write " + target + ": the directory " + (dir == null ? "" : real.equals(abs) ? target.getParent() : dir) + " does not exist");
            return Main.USAGE;
        }
        return atomically(real, target, content, err);
    }

    /** Replaces an existing file's content all or nothing (temporary file beside it, then rename); an exit code. */
    static int replace(Path target, byte[] content, PrintWriter err) {
        Path abs = target.toAbsolutePath().normalize();
        BasicFileAttributes attrs = attributes(abs);
        if (attrs != null && !attrs.isRegularFile() && !attrs.isDirectory()) return streamed(abs, target, out -> out.write(content), err);
        return atomically(realTarget(abs), target, out -> out.write(content), err);
    }

    /** The target's attributes, symbolic links followed; null when it does not exist (or is a dangling link). */
    private static BasicFileAttributes attributes(Path p) {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class);
        } catch (IOException | SecurityException | UnsupportedOperationException e) {
            return null;
        }
    }

    /**
     * The file a path names once symbolic links are followed: its real path when it exists, else
     * the end of its chain of links (a dangling link's target is created), else the path itself.
     */
    static Path realTarget(Path abs) {
        try {
            if (Files.exists(abs)) return abs.toRealPath();
            Path p = abs;
            for (int hops = 0; hops < 40 && Files.isSymbolicLink(p); hops++) {
                p = p.resolveSibling(Files.readSymbolicLink(p)).toAbsolutePath().normalize();
            }
            return p;
        } catch (IOException | SecurityException e) {
            return abs;
        }
    }

    /** Writes straight into a special file (a device, a FIFO, a terminal); an exit code. */
    private static int streamed(Path abs, Path shown, Content content, PrintWriter err) {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(abs, StandardOpenOption.WRITE), 1 << 16)) {
            content.writeTo(out);
            return Main.OK;
        } catch (IOException | SecurityException e) {
            err.println("error: cannot write " + shown + ": " + why(e));
            return Main.USAGE;
        }
    }

    /** The one home of all-or-nothing writing: a hidden temporary file beside the target, renamed over it. */
    private static int atomically(Path abs, Path shown, Content content, PrintWriter err) {
        Path tmp = TempFiles.register(abs.resolveSibling("." + abs.getFileName() + "." + ProcessHandle.current().pid() + "." + System.nanoTime() + ".tmp"));
        try {
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), 1 << 16)) {
                content.writeTo(out);
            }
            if (Files.isRegularFile(abs, LinkOption.NOFOLLOW_LINKS)) {
                if (linkCount(abs) > 1) {
                    overwrite(tmp, abs);
                    return Main.OK;
                }
                copyAttributes(abs, tmp);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            return Main.OK;
        } catch (IOException | SecurityException e) {
            err.println("error: cannot write " + shown + ": " + why(e));
            return Main.USAGE;
        } finally {
            TempFiles.delete(tmp);
            TempFiles.forget(tmp);
        }
    }

    /** The number of hard links to a file; 1 where the file system cannot tell. */
    private static int linkCount(Path p) {
        try {
            return ((Number) Files.getAttribute(p, "unix:nlink", LinkOption.NOFOLLOW_LINKS)).intValue();
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | SecurityException e) {
            return 1;
        }
    }

    /** Copies the complete new content over a hard-linked file's old one, keeping its inode (and so every link and attribute). */
    private static void overwrite(Path from, Path to) throws IOException {
        try (InputStream in = Files.newInputStream(from);
                OutputStream out = Files.newOutputStream(to, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            in.transferTo(out);
        }
    }

    /** Gives the new file the old one's permissions, and its owner and group where allowed. */
    private static void copyAttributes(Path from, Path to) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(to, PosixFileAttributeView.class);
        if (view == null) return;
        PosixFileAttributes old;
        try {
            old = Files.readAttributes(from, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (UnsupportedOperationException e) {
            return;
        }
        try {
            if (!old.group().equals(Files.readAttributes(to, PosixFileAttributes.class).group())) view.setGroup(old.group());
        } catch (IOException e) {
            // not a group this user may give: the new file keeps the user's group
        }
        try {
            if (!old.owner().equals(view.getOwner())) view.setOwner(old.owner());
        } catch (IOException e) {
            // only root may give a file away: the new file is the user's
        }
        // Last: setting an owner or group may clear the set-id bits.
        view.setPermissions(old.permissions());
    }

    /** Why a write failed, in words: the exceptions of java.nio name only the path. */
    static String why(Exception e) {
        if (e instanceof AccessDeniedException) return "permission denied";
        if (e instanceof NoSuchFileException) return "no such file or directory";
        if (e instanceof FileSystemException f && f.getReason() != null) return f.getReason();
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
