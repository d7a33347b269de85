package pdagc.lsp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The stdio entry point of {@code pdagc lsp} on raw protocol bytes: framing, the initialize
 * answer, published diagnostics, and the exit status after {@code shutdown} and {@code exit}.
 */
@Timeout(60)
class StdioTest {
    static byte[] frame(String json) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        byte[] header = ("Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[header.length + body.length];
        System.arraycopy(header, 0, all, 0, header.length);
        System.arraycopy(body, 0, all, header.length, body.length);
        return all;
    }

    @Test
    void initializeOpenShutdownExit() throws Exception {
        String text = "model M {\\n  vocab 8\\n}\\n"; // JSON-escaped: a model missing required properties, no deploy
        ByteArrayOutputStream in = new ByteArrayOutputStream();
        in.write(frame("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"capabilities\":{}}}"));
        in.write(frame("{\"jsonrpc\":\"2.0\",\"method\":\"initialized\",\"params\":{}}"));
        in.write(frame("{\"jsonrpc\":\"2.0\",\"method\":\"textDocument/didOpen\",\"params\":{\"textDocument\":{\"uri\":\"untitled:m.pdag\","
                + "\"languageId\":\"pdag\",\"version\":1,\"text\":\"" + text + "\"}}}"));
        in.write(frame("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"shutdown\"}"));
        in.write(frame("{\"jsonrpc\":\"2.0\",\"method\":\"exit\"}"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int status = PdagLanguageServer.serve(new ByteArrayInputStream(in.toByteArray()), out);
        assertEquals(0, status);
        String answer = out.toString(StandardCharsets.UTF_8);
        assertTrue(answer.startsWith("Content-Length: "), answer);
        assertTrue(answer.contains("\"definitionProvider\":true"), answer);
        assertTrue(answer.contains("\"method\":\"textDocument/publishDiagnostics\""), answer);
        assertTrue(answer.contains("\"code\":\"E0301\""), answer);
        assertTrue(answer.contains("\"id\":2,\"result\":null"), answer);
    }

    @Test
    void endOfInputWithoutShutdownIsExitStatusOne() throws Exception {
        assertEquals(1, PdagLanguageServer.serve(new ByteArrayInputStream(new byte[0]), new ByteArrayOutputStream()));
    }

    /**
     * Malformed JSON is logged as one line, never a Java trace; requests whose params lack what
     * they need get InvalidParams (-32602) naming it, not an internal error carrying an NPE.
     */
    @Test
    void malformedInputIsOneLineAndBadParamsAreInvalidParams() throws Exception {
        ByteArrayOutputStream in = new ByteArrayOutputStream();
        in.write(frame("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"capabilities\":{}}}"));
        in.write(frame("{\"jsonrpc\":\"2.0\",\"method\":\"textDocument/didOpen\",\"params\":{\"textDocument\":{\"uri\":\"untitled:m.pdag\","
                + "\"languageId\":\"pdag\",\"version\":1,\"text\":\"model M { vocab 8 }\"}}}"));
        in.write(frame("this is { not json"));
        in.write(frame("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":"));
        in.write(frame("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"textDocument/hover\",\"params\":null}"));
        in.write(frame("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"textDocument/hover\",\"params\":{\"textDocument\":{\"uri\":\"untitled:m.pdag\"}}}"));
        in.write(frame("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"textDocument/definition\",\"params\":{}}"));
        in.write(frame("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"textDocument/completion\",\"params\":null}"));
        in.write(frame("{\"jsonrpc\":\"2.0\",\"method\":\"textDocument/didOpen\",\"params\":null}"));
        in.write(frame("{\"jsonrpc\":\"2.0\",\"method\":\"textDocument/didChange\",\"params\":{\"textDocument\":{\"uri\":\"untitled:m.pdag\"}}}"));
        in.write(frame("{\"jsonrpc\":\"2.0\",\"method\":\"textDocument/didClose\",\"params\":{}}"));
        in.write(frame("{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"textDocument/hover\",\"params\":{\"textDocument\":{\"uri\":\"untitled:m.pdag\"},"
                + "\"position\":{\"line\":0,\"character\":2}}}"));
        in.write(frame("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"shutdown\"}"));
        in.write(frame("{\"jsonrpc\":\"2.0\",\"method\":\"exit\"}"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        java.io.PrintStream previous = System.err;
        int status;
        System.setErr(new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            status = PdagLanguageServer.serve(new ByteArrayInputStream(in.toByteArray()), out);
        } finally {
            System.setErr(previous);
        }
        assertEquals(0, status, "the server goes on after bad input and exits cleanly");
        String answer = out.toString(StandardCharsets.UTF_8);
        String log = err.toString(StandardCharsets.UTF_8);
        assertTrue(!answer.contains("Exception") && !answer.contains("\\tat "), answer);
        for (int id : new int[] {2, 3, 4, 5}) {
            assertTrue(answer.contains("\"id\":" + id + ",\"error\":{\"code\":-32602,\"message\":\"invalid params for textDocument/"), id + ": " + answer);
        }
        assertTrue(answer.contains("textDocument/hover: params is missing"), answer);
        assertTrue(answer.contains("textDocument/hover: position is missing"), answer);
        assertTrue(answer.contains("textDocument/definition: textDocument is missing"), answer);
        assertTrue(answer.contains("\"id\":6,\"result\""), "the server still answers: " + answer);
        assertTrue(answer.contains("\"id\":7,\"result\":null"), answer);
        assertTrue(!log.isEmpty(), "the malformed message is logged");
        for (String line : log.split("\n")) {
            assertTrue(line.startsWith("pdagc lsp: "), "one line per event, no trace:\n" + log);
        }
        assertTrue(!log.contains("\tat "), log);
    }
}
