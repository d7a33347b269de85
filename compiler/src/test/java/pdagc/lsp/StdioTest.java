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
}
