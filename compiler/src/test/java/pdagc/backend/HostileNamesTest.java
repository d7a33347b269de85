package pdagc.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;
import pdagc.dag.PlanDag;

/** Names come from user files: whatever they hold, the outputs must still parse and show them. */
class HostileNamesTest {
    static final String HOSTILE = "evil\"name\\with\nnewline</svg><img src=x> */ /* image=\"y\" fontname=z' \u202egpj.exe & \\N";
    private final PlanDag plan = SmallPlans.moe(HOSTILE, "deploy \"x\"\n</svg>");

    @Test
    void jsonKeepsTheNameExactly() throws IOException {
        JsonNode json = new ObjectMapper().readTree(JsonBackendTest.json(plan));
        assertEquals(HOSTILE, json.get("nodes").get(4).get("name").asText());
        assertEquals("0:" + HOSTILE, json.get("edges").get(5).get("from").asText());
        assertEquals("deploy \"x\"\n</svg>", json.get("deployment").asText());
        assertEquals(List.of(), JsonBackendTest.validate(json));
    }

    @Test
    void jsonEscapesBidiControlsAndLineSeparators() throws IOException {
        PlanDag odd = SmallPlans.moe("a\u202eb\u2028c\u2066d", "x");
        String text = new String(JsonBackendTest.json(odd), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(text.contains("\"name\":\"a\\u202Eb\\u2028c\\u2066d\""), text);
        assertTrue(text.chars().noneMatch(c -> c == 0x202E || c == 0x2028 || c == 0x2066));
        assertEquals("a\u202eb\u2028c\u2066d", new ObjectMapper().readTree(text).get("nodes").get(4).get("name").asText());
    }

    @Test
    void dotKeepsEveryQuotedStringClosed() {
        String dot = DotBackendTest.dot(plan, new View.Whole());
        for (String line : dot.split("\n")) assertTrue(balanced(line), line);
        assertTrue(dot.contains("evil\\\"name\\\\with\\nnewline&lt;/svg>&lt;img src&#61;x> */ /* image&#61;\\\"y\\\" fontname&#61;z' "
                + "[U+202E]gpj.exe &amp; \\\\N"), dot);
    }

    @Test
    void dotStillRendersAndShowsTheName() {
        String dot = DotBackendTest.dot(plan, new View.Gpu(0));
        SvgResult.Rendered svg = assertInstanceOf(SvgResult.Rendered.class, new SvgBackend("").render(dot));
        String text = svg.svg();
        assertTrue(text.contains(">evil&quot;name\\with</text>"), text);
        assertTrue(text.contains(">newline&lt;/svg&gt;&lt;img src=x&gt; */ /* image=&quot;y&quot; fontname=z&#39; [U+202E]gpj.exe &amp; \\N</text>"), text);
        assertEquals(1, count(text, "</svg>"), "the name's </svg> is escaped");
        assertTrue(text.contains("deploy &quot;x&quot;"));
    }

    /** Whether every double quote on the line that is not backslash-escaped closes the string it opened. */
    static boolean balanced(String line) {
        boolean inString = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (inString && c == '\\') {
                i++;
            } else if (c == '"') {
                inString = !inString;
            }
        }
        return !inString;
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) n++;
        return n;
    }
}
