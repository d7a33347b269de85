package pdagc.robust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pdagc.Repo;
import pdagc.cli.Main;

/**
 * A user's file name reaches every output (the plan's source, the drawing's title): quotes,
 * backslashes, markup and comment ends in it must not break or inject into JSON, DOT or SVG, and
 * outputs are all or nothing: a failed run leaves an earlier output untouched.
 */
class HostileFileNameTest {
    /** A file name cannot hold '/', so no closing tags; an opening tag, quotes, a backslash and '&' it can. */
    static final String NAME = "seed \"q\" back\\slash <svg onload=x><script> & ${x} é.pdag";

    static int run(StringWriter err, String... args) {
        return Main.run(args, new PrintWriter(new StringWriter()), new PrintWriter(err));
    }

    @Test
    void everyBackendKeepsTheNameAsWritten(@TempDir Path dir) throws Exception {
        Path src = dir.resolve(NAME);
        Files.copy(Repo.file("examples/seed_moe_ep16_tp4.pdag"), src);
        StringWriter err = new StringWriter();
        assertEquals(0, run(err, src.toString(), "--emit", "json", "-o", dir.resolve("plan.json").toString()), err.toString());
        JsonNode plan = new ObjectMapper().readTree(dir.resolve("plan.json").toFile());
        assertEquals(src.toString(), plan.get("source").asText());

        assertEquals(0, run(err, src.toString(), "--emit", "dot", "--view", "gpu:0", "-o", dir.resolve("plan.dot").toString()), err.toString());
        String dot = Files.readString(dir.resolve("plan.dot"));
        for (String line : dot.split("\n")) {
            long quotes = line.replace("\\\\", "").replace("\\\"", "").chars().filter(c -> c == '"').count();
            assertEquals(0, quotes % 2, "balanced quotes: " + line);
        }

        assertEquals(0, run(err, src.toString(), "--emit", "svg", "--view", "gpu:0", "-o", dir.resolve("plan.svg").toString()), err.toString());
        String svg = Files.readString(dir.resolve("plan.svg"));
        assertEquals(1, svg.split("</svg>", -1).length - 1, "exactly one closing </svg>");
        assertFalse(svg.contains("<script>") || svg.contains("<svg onload"), "no markup from the file name survives unescaped");
    }

    @Test
    void aFailedRunLeavesTheEarlierOutputAsItWas(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("plan.json");
        Files.writeString(out, "earlier");
        Path bad = dir.resolve("bad.pdag");
        Files.writeString(bad, "model M { vocab 1 }");
        StringWriter err = new StringWriter();
        assertEquals(1, run(err, bad.toString(), "--emit", "json", "-o", out.toString()));
        assertEquals("earlier", Files.readString(out));
        try (var files = Files.list(dir)) {
            assertEquals(2, files.count(), "no temporary file is left behind");
        }
        assertEquals(2, run(err, Repo.file("examples/seed_moe_ep16_tp4.pdag").toString(), "--emit", "json", "-o",
                dir.resolve("missing/plan.json").toString()));
        assertTrue(err.toString().contains("does not exist"), err.toString());
    }
}
