package pdagc.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SvgBackendTest {
    /** No directory: the native engine is never found, whatever this machine has installed. */
    private final SvgBackend withoutDot = new SvgBackend("");

    static boolean isSvg(String text) {
        return text.startsWith("<?xml") || text.startsWith("<svg");
    }

    @Test
    void rendersAViewWithTheBundledEngine() {
        String dot = DotBackendTest.dot(SmallPlans.moe(), new View.Whole());
        SvgResult.Rendered svg = assertInstanceOf(SvgResult.Rendered.class, withoutDot.render(dot));
        assertEquals(SvgEngine.J2V8, svg.engine());
        assertTrue(isSvg(svg.svg()), svg.svg().substring(0, 80));
        assertTrue(svg.svg().contains("</svg>"));
        assertTrue(svg.svg().contains(">layers.0.attn.all_reduce</text>"));
        assertTrue(svg.svg().contains(">GPU 3</text>"));
        assertTrue(svg.svg().contains(">[2,16,64] &#45;&gt; [2,16,64]</text>"), "shapes with the arrow");
        assertTrue(svg.svg().contains("<title>cluster_gpu2</title>"));
    }

    @Test
    void turnsSyntaxErrorsIntoAMessageAndPrintsNothing() {
        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            SvgResult.Failed failed = assertInstanceOf(SvgResult.Failed.class, withoutDot.render("digraph { a -> }"));
            assertTrue(failed.message().contains("syntax error"), failed.message());
            assertTrue(failed.message().contains("apt-get install graphviz"), failed.message());
        } finally {
            System.setErr(saved);
        }
        assertEquals("", err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void refusesTextsTooLargeForTheBundledEngine() {
        String huge = "digraph {\n" + "  a -> b;\n".repeat(SvgBackend.J2V8_MAX_DOT_CHARS / 10 + 1) + "}\n";
        SvgResult.Failed failed = assertInstanceOf(SvgResult.Failed.class, withoutDot.render(huge));
        assertTrue(failed.message().contains("apt-get install graphviz"), failed.message());
        assertTrue(failed.message().contains("smaller view"), failed.message());
    }

    @Test
    void prefersDotOnThePathAndReportsIt(@TempDir Path bin) throws IOException {
        fakeDot(bin, "[ \"$*\" = -Tsvg ] || exit 9; echo '<svg xmlns=\"http://www.w3.org/2000/svg\"><!-- fake dot -->'; wc -l; echo '</svg>'");
        SvgBackend backend = new SvgBackend(bin.toString());
        assertEquals(Optional.of(bin.resolve("dot")), backend.nativeDot());
        SvgResult.Rendered svg = assertInstanceOf(SvgResult.Rendered.class, backend.render("digraph { a -> b }\n"));
        assertEquals(SvgEngine.NATIVE_DOT, svg.engine());
        assertTrue(svg.svg().contains("fake dot"), svg.svg());
    }

    @Test
    void reportsAFailingDot(@TempDir Path bin) throws IOException {
        fakeDot(bin, "cat >/dev/null; echo 'Error: syntax error in line 1' >&2; exit 1");
        SvgResult.Failed failed = assertInstanceOf(SvgResult.Failed.class, new SvgBackend(bin.toString()).render("digraph {"));
        assertTrue(failed.message().startsWith("dot ("), failed.message());
        assertTrue(failed.message().endsWith("failed: Error: syntax error in line 1"), failed.message());
    }

    @Test
    void forcedNativeEngineWithoutDotSaysHowToInstallIt() {
        SvgResult.Failed failed = assertInstanceOf(SvgResult.Failed.class, withoutDot.render("digraph {}", SvgEngine.NATIVE_DOT));
        assertEquals("dot is not on the PATH: install Graphviz (apt-get install graphviz) so that pdagc can run dot", failed.message());
    }

    @Test
    void aRendererStartedAheadDrawsWhatAFreshEngineDraws() {
        String dot = "digraph { a -> b; b -> c; a -> c }";
        SvgResult.Rendered ahead = assertInstanceOf(SvgResult.Rendered.class, withoutDot.prepare().render(dot));
        SvgResult.Rendered fresh = assertInstanceOf(SvgResult.Rendered.class, withoutDot.render(dot, SvgEngine.J2V8));
        assertEquals(SvgEngine.J2V8, ahead.engine());
        assertEquals(fresh.svg(), ahead.svg());
    }

    @Test
    void sizesTheBundledEnginesMemory() {
        assertEquals(256 << 20, SvgBackend.memoryFor(1_000));
        assertEquals(256 << 20, SvgBackend.memoryFor(272_726));
        assertEquals(1 << 30, SvgBackend.memoryFor(1_107_926));
    }

    /** A stand-in {@code dot}, a shell script that runs {@code body}: the DOT text on its standard input, the SVG to its standard output. */
    static void fakeDot(Path bin, String body) throws IOException {
        Path dot = bin.resolve("dot");
        Files.writeString(dot, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(dot, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
