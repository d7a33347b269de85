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

    /** The catch-all codes and the codes split from them: reported only through {@link Diags}'s typed factories. */
    private static final Pattern TYPED = Pattern.compile("Code\\.(E020[69]|E021[0-5]|E040[12]|E0409|E041[0-5])\\b");

    private static final Path MAIN = Path.of(System.getProperty("pdagc.root", "..")).toAbsolutePath().normalize()
            .resolve("compiler/src/main/java");

    @Test
    void typedCodesAreReportedOnlyThroughDiags() throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(MAIN)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                if (f.endsWith(Path.of("pdagc/diag/Diags.java")) || f.endsWith(Path.of("pdagc/diag/Code.java"))) continue;
                Matcher m = TYPED.matcher(Files.readString(f, StandardCharsets.UTF_8));
                while (m.find()) found.add(MAIN.relativize(f) + ": " + m.group());
            }
        }
        assertTrue(found.isEmpty(), "report these through a typed factory in Diags: " + found);
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
    }
}
