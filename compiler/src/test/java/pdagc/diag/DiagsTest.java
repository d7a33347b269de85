package pdagc.diag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import pdagc.source.Span;

class DiagsTest {

    /** A code named in source, as {@code Code.E0204} or {@code pdagc.diag.Code.W0309}. */
    private static final Pattern CODE = Pattern.compile("\\bCode\\.[EW]\\d{4}\\b");

    /** Building a diagnostic from a code and free arguments. */
    private static final Pattern FROM_CODE = Pattern.compile("\\bDiagnostic\\.of\\(");

    private static final Path MAIN = Path.of(System.getProperty("pdagc.root", "..")).toAbsolutePath().normalize()
            .resolve("compiler/src/main/java");

    /**
     * Every diagnostic is a typed factory in {@link Diags}: no main source other than Diags.java
     * (the factories) and Code.java (the catalogue) names a code or calls {@code Diagnostic.of}.
     * {@code Diagnostic.of} is package-private besides, so only {@code pdagc.diag} can call it; the
     * renderer and the sink take built diagnostics and name no code.
     */
    @Test
    void diagnosticsAreBuiltOnlyThroughDiags() throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(MAIN)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                if (f.endsWith(Path.of("pdagc/diag/Diags.java")) || f.endsWith(Path.of("pdagc/diag/Code.java"))) continue;
                String text = Files.readString(f, StandardCharsets.UTF_8);
                for (Pattern p : List.of(CODE, FROM_CODE)) {
                    Matcher m = p.matcher(text);
                    while (m.find()) found.add(MAIN.relativize(f) + ": " + m.group());
                }
            }
        }
        assertTrue(found.isEmpty(), "report these through a typed factory in Diags: " + found);
    }

    @Test
    void theGuardSeesACodeAndAFreeTextCall() {
        assertTrue(CODE.matcher("diagnostics.add(pdagc.diag.Diagnostic.of(pdagc.diag.Code.E0005, at, 200))").find());
        assertTrue(FROM_CODE.matcher("diagnostics.add(pdagc.diag.Diagnostic.of(pdagc.diag.Code.E0005, at, 200))").find());
        assertTrue(CODE.matcher("Code.W0309").find());
        assertTrue(!CODE.matcher("Code that decides by an axis").find());
    }

    @Test
    void aFactoryFixesCodeMessageAndLabel() {
        Span at = Span.NONE;
        Diagnostic d = Diags.stageLayersMismatch(at, at, 2, 4, List.of(1L, 2L)).build();
        assertEquals(Code.E0214, d.code());
        assertEquals("invalid value for `stage_layers`: needs 2 positive counts that add up to the 4 layers, found [1, 2]", d.message());
        assertEquals("does not assign the layers", d.primary().message());
        Diagnostic e = Diags.valueTooSmall(at, "layers", 1, 0).build();
        assertEquals(Code.E0206, e.code());
        assertEquals("invalid value for `layers`: must be at least 1, found 0", e.message());
        Diagnostic mesh = Diags.notAMesh(at, java.util.Optional.empty()).build();
        assertEquals(Code.E0204, mesh.code());
        assertEquals("expected a mesh such as `[dp 2, tp 4]`, found nothing", mesh.message());
        assertEquals("not a mesh", mesh.primary().message());
        Diagnostic cp = Diags.contextParallelInDecode(at).build();
        assertEquals(Code.E0306, cp.code());
        assertEquals("context parallelism in decode is not supported yet", cp.message());
        assertEquals("use cp for long prefills; use dp to spread decode sequences", cp.help());
    }
}
