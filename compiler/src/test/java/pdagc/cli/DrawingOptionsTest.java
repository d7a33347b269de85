package pdagc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pdagc.Repo;

/**
 * A drawing's options on the command line: a layout past its deadline is E0507, exit 2, with no
 * file written, an older one kept and no engine left running; the drawing options given to a
 * format that draws nothing are refused rather than ignored; the help names every view.
 */
class DrawingOptionsTest {
    static final String SEED = Repo.file("examples/seed_moe_ep16_tp4.pdag").toString();

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void aLayoutPastItsDeadlineIsE0507AndWritesNothing(@TempDir Path dir) throws IOException {
        Path svg = dir.resolve("seed.svg");
        Files.writeString(svg, "an older drawing");
        Run r = run(SEED, "--emit", "svg", "--view", "layer:0", "--layout-engine", "viz", "--layout-timeout", "0.001", "-o", svg.toString());
        assertEquals(Main.USAGE, r.code(), r.err());
        assertTrue(r.err().contains("error[E0507]: laying out view layer:0 (1512 nodes, 1984 edges) with bundled viz.js in J2V8"
                + " took longer than 0.001 s"), r.err());
        assertTrue(r.err().contains("= help: draw a smaller view"), r.err());
        assertTrue(r.err().contains("--emit dot"), r.err());
        assertTrue(r.err().endsWith("error: could not draw: 1 error\n"), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
        assertEquals("an older drawing", Files.readString(svg));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(svg), files.toList(), "no temporary file left");
        }
        assertEquals(List.of(), ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)
                .map(p -> p.info().commandLine().orElse("")).filter(c -> c.contains("pdagc.backend.LayoutWorker")).toList(),
                "no layout engine left running");
    }

    @Test
    void drawingOptionsWithAFormatThatDrawsNothingAreRefused() {
        Run r = run(SEED, "--emit", "report", "--view", "gpu:0");
        assertEquals(Main.USAGE, r.code());
        assertEquals("error: --view applies to drawings only (--emit dot or --emit svg), not to --emit report\n", r.err());
        assertEquals("", r.out());
        r = run(SEED, "--view", "roles", "--budget", "10");
        assertEquals(Main.USAGE, r.code());
        assertEquals("error: --view and --budget apply to drawings only (--emit dot or --emit svg), not to the summary\n", r.err());
        r = run(SEED, "--emit", "dot", "--layout-timeout", "5");
        assertEquals(Main.USAGE, r.code());
        assertEquals("error: --layout-timeout applies to SVG only (--emit svg): --emit dot lays nothing out\n", r.err());
        r = run(SEED, "--emit", "svg", "--layout-timeout", "0");
        assertEquals(Main.USAGE, r.code());
        assertTrue(r.err().startsWith("error: --layout-timeout must be a number of seconds above 0"), r.err());
        r = run(SEED, "--emit", "svg", "--layout-engine", "neato");
        assertEquals(Main.USAGE, r.code());
        assertEquals("error: unknown layout engine `neato`; engines are: auto, dot, viz\n", r.err());
        r = run(SEED, "--emit", "dot", "--budget", "0");
        assertEquals(Main.USAGE, r.code());
        assertEquals("error: --budget must be at least 1, found 0\n", r.err());
    }

    @Test
    void theHelpNamesEveryView() {
        Run r = run("--help");
        String help = (r.out() + r.err()).replaceAll("\\s+", " ");
        for (String view : List.of("deployment", "deployment:layer:N", "whole", "roles", "roles:layer:N", "gpu:N", "layer:N")) assertTrue(help.contains(view), view + " in " + help);
        assertTrue(help.contains("--layout-timeout"), help);
        assertTrue(help.contains("--layout-engine"), help);
    }
}
