package pdagc.cli;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The registry of in-flight temporary outputs: the hidden files and directories that
 * {@link OutputFiles} and {@link OutputDirectory} write before renaming them into place. A JVM
 * shutdown hook, installed on first use, deletes whatever is still registered, so that SIGINT or
 * SIGTERM during a write (a plan's JSON can be hundreds of megabytes) leaves no temporary file
 * behind. A temporary path is registered before it is created and forgotten once it is renamed
 * or deleted.
 */
final class TempFiles {
    private TempFiles() {}

    private static final Set<Path> IN_FLIGHT = ConcurrentHashMap.newKeySet();
    private static volatile boolean hooked;

    /** Registers a temporary path (a file, or a directory deleted with its contents); installs the hook once. */
    static Path register(Path tmp) {
        if (!hooked) installHook();
        IN_FLIGHT.add(tmp);
        return tmp;
    }

    /** Forgets a temporary path: it was renamed into place or deleted. */
    static void forget(Path tmp) {
        IN_FLIGHT.remove(tmp);
    }

    /** The paths registered now (for tests). */
    static List<Path> inFlight() {
        return List.copyOf(IN_FLIGHT);
    }

    private static synchronized void installHook() {
        if (hooked) return;
        Runtime.getRuntime().addShutdownHook(new Thread(TempFiles::shutdown, "pdagc-temp-cleanup"));
        hooked = true;
    }

    /** Set once the shutdown hook runs: from then on no file is created below a temporary directory. */
    private static boolean closing;

    /**
     * Creates file {@code file} (and the directories above it) below a registered temporary
     * directory and opens it for writing, unless the JVM is shutting down: then nothing is created
     * and an {@link IOException} says so. A writer that streams many files into one temporary
     * directory opens them here, so that the shutdown hook, once it runs, sees every file there
     * will be and leaves none behind.
     */
    static java.io.OutputStream newOutput(Path file) throws IOException {
        synchronized (TempFiles.class) {
            if (closing) throw new IOException("interrupted: the output is being removed");
            Files.createDirectories(file.getParent());
            return Files.newOutputStream(file);
        }
    }

    /** What the shutdown hook runs: no file is created from now on, and every registered path is deleted. */
    private static void shutdown() {
        synchronized (TempFiles.class) {
            closing = true;
        }
        deleteAll();
    }

    /** Deletes every registered path (best effort) and forgets it. */
    static void deleteAll() {
        for (Path p : List.copyOf(IN_FLIGHT)) {
            delete(p);
            IN_FLIGHT.remove(p);
        }
    }

    /** Deletes a file, or a directory with everything below it; symbolic links are deleted, never followed. */
    static void delete(Path p) {
        try {
            if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                Files.walkFileTree(p, new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                        Files.deleteIfExists(file);
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFileFailed(Path file, IOException e) {
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                        Files.deleteIfExists(dir);
                        return FileVisitResult.CONTINUE;
                    }
                });
            } else {
                Files.deleteIfExists(p);
            }
        } catch (IOException | SecurityException ignored) {
            // best effort: the temporary path is hidden and named after its output
        }
    }
}
