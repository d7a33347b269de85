package pdagc.backend;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A layout engine's process: started with its standard streams as pipes, fed its input and read
 * on threads of their own (so that neither side blocks on a full pipe), and waited for under a
 * deadline. When the deadline passes, the process and every process it started end
 * ({@link #killTree}): a shell wrapper's {@code dot}, or a child JVM, never outlives pdagc's wait
 * for it. While the process runs, a shutdown hook ends it too, so that pdagc stopped by SIGINT or
 * SIGTERM leaves no layout running.
 */
final class ChildProcess {
    /** What the process left: its exit status, its output and its error output, or that it ran out of time. */
    record Outcome(int exit, byte[] stdout, String stderr, boolean timedOut) {}

    private final Process process;
    private final CompletableFuture<byte[]> stdout;
    private final CompletableFuture<byte[]> stderr;

    private final Thread onShutdown;

    private ChildProcess(Process process) {
        this.process = process;
        this.stdout = drain(process.getInputStream(), "stdout");
        this.stderr = drain(process.getErrorStream(), "stderr");
        ProcessHandle handle = process.toHandle();
        this.onShutdown = new Thread(() -> killTree(handle), "pdagc-layout-shutdown");
        try {
            Runtime.getRuntime().addShutdownHook(onShutdown);
        } catch (IllegalStateException e) {
            killTree(handle);   // the JVM is already shutting down
        }
    }

    /** The process has ended (or was ended): its shutdown hook is no longer needed. */
    private void ended() {
        try {
            Runtime.getRuntime().removeShutdownHook(onShutdown);
        } catch (IllegalStateException e) {
            // Shutting down: the hook runs, and finds the process gone.
        }
    }

    /** Starts {@code command}; its output is read from now on, its input waits for {@link #finish}. */
    static ChildProcess start(List<String> command) throws IOException {
        return new ChildProcess(new ProcessBuilder(command).start());
    }

    /** Starts {@code command}, feeds it {@code input} and waits for it until {@code deadline} has passed. */
    static Outcome run(List<String> command, byte[] input, Duration deadline) throws IOException {
        return start(command).finish(input, deadline);
    }

    long pid() {
        return process.pid();
    }

    /**
     * Feeds the process {@code input} (closing its standard input after it) and waits for it to
     * exit and for its output, at most {@code deadline}; past it, ends the process tree.
     */
    Outcome finish(byte[] input, Duration deadline) {
        try {
            return feedAndWait(input, deadline);
        } finally {
            ended();
        }
    }

    private Outcome feedAndWait(byte[] input, Duration deadline) {
        long end = System.nanoTime() + deadline.toNanos();
        Thread feeder = new Thread(() -> {
            try (OutputStream in = process.getOutputStream()) {
                in.write(input);
            } catch (IOException e) {
                // The process exited or closed its input: its exit status and error output say why.
            }
        }, "pdagc-layout-input");
        feeder.setDaemon(true);
        feeder.start();
        try {
            if (!process.waitFor(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                killTree(process.toHandle());
                return new Outcome(-1, new byte[0], "", true);
            }
            byte[] out = stdout.get(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
            byte[] err = stderr.get(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
            return new Outcome(process.exitValue(), out, new String(err, StandardCharsets.UTF_8), false);
        } catch (TimeoutException e) {
            // The process exited, but something it started still holds its output open.
            killTree(process.toHandle());
            return new Outcome(-1, new byte[0], "", true);
        } catch (InterruptedException e) {
            killTree(process.toHandle());
            Thread.currentThread().interrupt();
            return new Outcome(-1, new byte[0], "interrupted", false);
        } catch (ExecutionException e) {
            killTree(process.toHandle());
            return new Outcome(-1, new byte[0], "cannot read the engine's output: " + e.getCause().getMessage(), false);
        }
    }

    /** Ends the process without waiting for an answer (a renderer started ahead and never used). */
    void abandon() {
        killTree(process.toHandle());
        ended();
    }

    /**
     * Ends {@code root} and all its descendants, and waits (briefly) until they are gone. The
     * descendants go first, all that a listing finds at once, and the listing is repeated until it
     * finds none (for processes started meanwhile); the root goes last: once a process is gone its
     * children are no longer anyone's descendants, and would be out of reach.
     */
    static void killTree(ProcessHandle root) {
        for (int round = 0; round < 5; round++) {
            List<ProcessHandle> tree = root.descendants().toList();
            if (tree.isEmpty()) break;
            tree.forEach(ProcessHandle::destroyForcibly);
            for (ProcessHandle p : tree) waitGone(p);
        }
        root.destroyForcibly();
        waitGone(root);
    }

    private static void waitGone(ProcessHandle p) {
        try {
            p.onExit().get(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // Killed with SIGKILL; a process that does not go within seconds is beyond pdagc's reach.
        }
    }

    private static CompletableFuture<byte[]> drain(InputStream stream, String name) {
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try (InputStream in = stream) {
                ByteArrayOutputStream buffer = new ByteArrayOutputStream();
                in.transferTo(buffer);
                result.complete(buffer.toByteArray());
            } catch (IOException e) {
                result.completeExceptionally(e);
            }
        }, "pdagc-layout-" + name);
        t.setDaemon(true);
        t.start();
        return result;
    }
}
