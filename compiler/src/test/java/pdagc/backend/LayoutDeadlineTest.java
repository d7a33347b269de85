package pdagc.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every layout engine runs under a deadline that ends it with everything it started: a
 * {@code dot} that is a shell wrapper around a slow child (the orphan of issue 17), and the
 * bundled viz.js in its JVM on a layout that takes minutes. The deadlines are short, so these
 * tests take seconds.
 */
class LayoutDeadlineTest {

    @Test
    void endsASlowDotAndEveryProcessItStarted(@TempDir Path bin) throws IOException {
        Path pids = bin.resolve("pids");
        // A wrapper that stays as the parent of a long child, which has a child of its own.
        SvgBackendTest.fakeDot(bin, "echo $$ >> '" + pids + "'; cat >/dev/null; "
                + "sh -c 'echo $$ >> \"" + pids + "\"; sleep 600 & echo $! >> \"" + pids + "\"; wait' & wait");
        SvgBackend backend = new SvgBackend(bin.toString()).withDeadline(Duration.ofMillis(1500));
        long start = System.nanoTime();
        SvgResult.TimedOut late = assertInstanceOf(SvgResult.TimedOut.class, backend.render("digraph { a -> b }"));
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertEquals(SvgEngine.NATIVE_DOT, late.engine());
        assertEquals(Duration.ofMillis(1500), late.deadline());
        assertTrue(ms < 10_000, "returned after " + ms + " ms");
        List<Long> started = Files.readAllLines(pids).stream().map(String::strip).map(Long::parseLong).toList();
        assertEquals(3, started.size(), "the wrapper, its child and the grandchild: " + started);
        for (long pid : started) {
            Optional<ProcessHandle> p = ProcessHandle.of(pid);
            assertFalse(p.isPresent() && p.get().isAlive(), "process " + pid + " outlived the deadline");
        }
    }

    @Test
    void endsTheBundledEngineOnALayoutThatTakesMinutes() {
        SvgBackend backend = new SvgBackend("").withDeadline(Duration.ofSeconds(3));
        long start = System.nanoTime();
        SvgResult result = backend.render(slowDot());
        long ms = (System.nanoTime() - start) / 1_000_000;
        SvgResult.TimedOut late = assertInstanceOf(SvgResult.TimedOut.class, result);
        assertEquals(SvgEngine.J2V8, late.engine());
        assertTrue(ms >= 3_000 && ms < 15_000, "returned after " + ms + " ms");
        assertEquals(List.of(), workers(), "the layout JVM outlived the deadline");
    }

    @Test
    void aRendererStartedAheadAndNeverUsedEndsItsEngineWhenClosed() throws InterruptedException {
        SvgBackend.Renderer renderer = new SvgBackend("").prepare();
        // The engine starts at once (its command line shows once the JVM has replaced the spawn helper).
        for (int i = 0; i < 100 && workers().isEmpty(); i++) Thread.sleep(50);
        assertEquals(1, workers().size(), "the engine starts at once");
        renderer.close();
        assertEquals(List.of(), workers());
    }

    @Test
    void aDeadlineMustBePositive() {
        SvgBackend backend = new SvgBackend("");
        for (Duration d : List.of(Duration.ZERO, Duration.ofMillis(-1))) {
            try {
                backend.withDeadline(d);
                throw new AssertionError("accepted " + d);
            } catch (IllegalArgumentException expected) {
                assertTrue(expected.getMessage().contains("positive"));
            }
        }
    }

    /** This JVM's layout workers that are still alive. */
    static List<String> workers() {
        return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)
                .map(p -> p.info().commandLine().orElse(""))
                .filter(c -> c.contains(LayoutWorker.class.getName())).toList();
    }

    /**
     * Six ranks of 64 nodes, one lane per column, and every node of a rank feeding every node of
     * the next: 20,480 crossing edges, the n x n shape that an all-to-all drew before hubs. Native
     * dot took 32 s on it; viz.js longer.
     */
    static String slowDot() {
        int n = 64;
        int ranks = 6;
        StringBuilder b = new StringBuilder("digraph slow {\n");
        for (int i = 0; i < n; i++) {
            b.append("  subgraph cluster_").append(i).append(" {");
            for (int r = 0; r < ranks; r++) b.append(" v").append(i).append('_').append(r).append(';');
            b.append(" }\n");
        }
        for (int r = 0; r + 1 < ranks; r++) {
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) b.append("  v").append(i).append('_').append(r).append(" -> v").append(j).append('_').append(r + 1).append(";\n");
            }
        }
        return b.append("}\n").toString();
    }
}
