package pdagc.lsp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.eclipse.lsp4j.ClientCapabilities;
import org.eclipse.lsp4j.CompletionItem;
import org.eclipse.lsp4j.CompletionParams;
import org.eclipse.lsp4j.DefinitionParams;
import org.eclipse.lsp4j.Diagnostic;
import org.eclipse.lsp4j.DiagnosticSeverity;
import org.eclipse.lsp4j.DidChangeTextDocumentParams;
import org.eclipse.lsp4j.DidOpenTextDocumentParams;
import org.eclipse.lsp4j.Hover;
import org.eclipse.lsp4j.HoverParams;
import org.eclipse.lsp4j.InitializeParams;
import org.eclipse.lsp4j.InitializeResult;
import org.eclipse.lsp4j.Location;
import org.eclipse.lsp4j.MessageActionItem;
import org.eclipse.lsp4j.MessageParams;
import org.eclipse.lsp4j.Position;
import org.eclipse.lsp4j.PublishDiagnosticsParams;
import org.eclipse.lsp4j.Range;
import org.eclipse.lsp4j.ShowMessageRequestParams;
import org.eclipse.lsp4j.TextDocumentContentChangeEvent;
import org.eclipse.lsp4j.TextDocumentIdentifier;
import org.eclipse.lsp4j.TextDocumentItem;
import org.eclipse.lsp4j.VersionedTextDocumentIdentifier;
import org.eclipse.lsp4j.jsonrpc.Launcher;
import org.eclipse.lsp4j.launch.LSPLauncher;
import org.eclipse.lsp4j.services.LanguageClient;
import org.eclipse.lsp4j.services.LanguageServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Drives {@code pdagc lsp} in-process as an editor would: a client launcher and the server's
 * launcher joined by piped streams, speaking real JSON-RPC. Checks the protocol round trips, not
 * just the service methods.
 */
@Timeout(60)
class LanguageServerTest {
    static final long WAIT = 30;

    static final String FIXED = """
            import std.blocks
            import std.hardware

            block my_mlp(x: [B, S, hidden]) -> [B, S, hidden] {
              n    = norm(x)
              up   = linear(n, out: ffn) @column(tp)
              h    = act(up)
              down = linear(h, out: hidden) @row(tp)
              return x + down
            }

            block my_layer(x: [B, S, hidden]) -> [B, S, hidden] {
              a = attention(x)
              return my_mlp(a)
            }

            model Tiny {
              vocab 1024  hidden 256  heads 4  layers 2  ffn 1024
              layer my_layer
            }
            cluster Box { gpu H100  count 4  per_node 4 }
            workload Pre { batch 2  seq 16  phase prefill  dtype bf16 }
            strategy Tp4 { mesh [tp 4] }
            deploy Small = Tiny on Box with Tp4 for Pre
            """;

    /** Eight-way tensor parallelism of four heads: E0303 at `tp 8`. */
    static final String BROKEN = FIXED.replace("mesh [tp 4]", "mesh [tp 8]").replace("count 4  per_node 4", "count 8  per_node 8");

    static final String URI = Path.of("work", "tiny.pdag").toAbsolutePath().toUri().toString();

    static final BlockingQueue<PublishDiagnosticsParams> published = new LinkedBlockingQueue<>();
    static LanguageServer server;
    static Future<Void> serverListening;
    static Future<Void> clientListening;

    @BeforeAll
    static void start() throws Exception {
        PipedInputStream serverIn = new PipedInputStream(1 << 16);
        PipedOutputStream clientOut = new PipedOutputStream(serverIn);
        PipedInputStream clientIn = new PipedInputStream(1 << 16);
        PipedOutputStream serverOut = new PipedOutputStream(clientIn);

        PdagLanguageServer impl = new PdagLanguageServer(() -> {});
        Launcher<LanguageClient> serverLauncher = LSPLauncher.createServerLauncher(impl, serverIn, serverOut);
        impl.connect(serverLauncher.getRemoteProxy());
        serverListening = serverLauncher.startListening();

        Launcher<LanguageServer> clientLauncher = LSPLauncher.createClientLauncher(new Client(), clientIn, clientOut);
        server = clientLauncher.getRemoteProxy();
        clientListening = clientLauncher.startListening();

        InitializeResult init = server.initialize(new InitializeParams()).get(WAIT, TimeUnit.SECONDS);
        assertTrue(init.getCapabilities().getHoverProvider().getLeft());
        assertTrue(init.getCapabilities().getDefinitionProvider().getLeft());
        assertNotNull(init.getCapabilities().getCompletionProvider());
        server.initialized(new org.eclipse.lsp4j.InitializedParams());
        server.getTextDocumentService().didOpen(new DidOpenTextDocumentParams(new TextDocumentItem(URI, "pdag", 1, FIXED)));
        assertTrue(next().getDiagnostics().isEmpty(), "the fixed file has no diagnostics");
    }

    @AfterAll
    static void stop() throws Exception {
        server.shutdown().get(WAIT, TimeUnit.SECONDS);
        server.exit();
        serverListening.cancel(true);
        clientListening.cancel(true);
    }

    static PublishDiagnosticsParams next() throws InterruptedException {
        PublishDiagnosticsParams p = published.poll(WAIT, TimeUnit.SECONDS);
        assertNotNull(p, "no diagnostics published");
        assertEquals(URI, p.getUri());
        return p;
    }

    static void change(String text, int version) {
        server.getTextDocumentService().didChange(new DidChangeTextDocumentParams(new VersionedTextDocumentIdentifier(URI, version),
                List.of(new TextDocumentContentChangeEvent(text))));
    }

    /** The 0-based position of the {@code nth} occurrence of {@code word} in the fixed text, plus {@code into} characters. */
    static Position at(String word, int nth, int into) {
        int offset = -1;
        for (int i = 0; i <= nth; i++) offset = FIXED.indexOf(word, offset + 1);
        assertTrue(offset >= 0, word);
        String before = FIXED.substring(0, offset + into);
        int line = (int) before.chars().filter(c -> c == '\n').count();
        return new Position(line, before.length() - before.lastIndexOf('\n') - 1);
    }

    static String hover(Position p) throws Exception {
        Hover h = server.getTextDocumentService().hover(new HoverParams(new TextDocumentIdentifier(URI), p)).get(WAIT, TimeUnit.SECONDS);
        assertNotNull(h, "no hover at " + p);
        return h.getContents().getRight().getValue();
    }

    static List<? extends Location> definition(Position p) throws Exception {
        return server.getTextDocumentService().definition(new DefinitionParams(new TextDocumentIdentifier(URI), p))
                .get(WAIT, TimeUnit.SECONDS).getLeft();
    }

    @Test
    void brokenFileGetsTheCompilersDiagnosticThenAFixClearsIt() throws Exception {
        change(BROKEN, 2);
        List<Diagnostic> ds = next().getDiagnostics();
        assertEquals(1, ds.size(), ds.toString());
        Diagnostic d = ds.get(0);
        assertEquals("E0303", d.getCode().getLeft());
        assertEquals(DiagnosticSeverity.Error, d.getSeverity());
        assertEquals("pdagc", d.getSource());
        // `tp 8` on line 23 (1-based), columns 22-25: 0-based line 22, characters 21 to 25.
        assertEquals(new Range(new Position(22, 21), new Position(22, 25)), d.getRange());
        String message = d.getMessage().getLeft();
        assertTrue(message.startsWith("tensor-parallel size 8 does not divide 4 attention heads"), message);
        assertTrue(message.contains("note: heads is declared at"), message);

        change(FIXED, 3);
        assertTrue(next().getDiagnostics().isEmpty(), "fixing the file clears its diagnostics");
    }

    @Test
    void syntaxErrorIsReportedAtItsPlace() throws Exception {
        change(FIXED.replace("layer my_layer\n}", "layer my_layer\n"), 4);
        List<Diagnostic> ds = next().getDiagnostics();
        assertTrue(ds.stream().anyMatch(d -> d.getCode().getLeft().equals("E0002")), ds.toString());
        change(FIXED, 5);
        assertTrue(next().getDiagnostics().isEmpty());
    }

    /** Expressions too long to read as a tree (issue 14): E0006, never the `internal` diagnostic of a stack overflow. */
    @Test
    void longExpressionsGetTheirCodeNotAnInternalError() throws Exception {
        String sum = "vocab " + String.join(" + ", java.util.Collections.nCopies(20_000, "1"));
        String minuses = "vocab " + "- ".repeat(100_000) + "1024";
        int version = 6;
        try {
            for (String vocab : List.of(sum, minuses)) {
                change(FIXED.replace("vocab 1024", vocab), version++);
                List<Diagnostic> ds = next().getDiagnostics();
                assertEquals(1, ds.size(), ds.toString());
                assertEquals("E0006", ds.get(0).getCode().getLeft(), ds.toString());
            }
        } finally {
            change(FIXED, version);
            assertTrue(next().getDiagnostics().isEmpty());
        }
    }

    @Test
    void hoverOnALetNameShowsGlobalAndLocalShapesAndSharding() throws Exception {
        String text = hover(at("up   =", 0, 1));
        assertTrue(text.contains("`layers.0.my_mlp.up`"), text);
        assertTrue(text.contains("global shape: `[2,16,1024]`"), text);
        assertTrue(text.contains("sharding: `{_,_,tp}`"), text);
        assertTrue(text.contains("local shape: `[2,16,256]`"), text);
    }

    @Test
    void hoverOnADeployShowsMemoryAndTtft() throws Exception {
        String text = hover(at("Small", 0, 2));
        assertTrue(text.contains("deploy `Small`: 4 GPUs"), text);
        assertTrue(text.contains("memory per GPU"), text);
        assertTrue(text.contains("TTFT: "), text);
    }

    /** At a request rate the hover gives the simulated run's means and their 99th percentiles. */
    @Test
    void hoverOnADeployAtARateShowsTheTail() throws Exception {
        change(FIXED.replace("workload Pre { batch 2  seq 16  phase prefill  dtype bf16 }", "workload Pre { input 64  output 8  rate 500 req/s  requests 200 }"), 20);
        try {
            assertTrue(next().getDiagnostics().isEmpty());
            String text = hover(at("Small", 0, 2));
            assertTrue(text.matches("(?s).*TTFT: [0-9.]+ [mu]?s \\(p99 [0-9.]+ [mu]?s\\), TPOT: [0-9.]+ [mu]?s \\(p99 [0-9.]+ [mu]?s\\).*"), text);
        } finally {
            change(FIXED, 21);
            assertTrue(next().getDiagnostics().isEmpty());
        }
    }

    @Test
    void hoverOnAModelPropertyShowsItsValue() throws Exception {
        assertEquals("`ffn 1024` (model Tiny)", hover(at("ffn 1024", 0, 1)));
    }

    @Test
    void definitionInTheSameFile() throws Exception {
        List<? extends Location> locs = definition(at("my_layer", 1, 3)); // `layer my_layer` in the model
        assertEquals(1, locs.size());
        assertEquals(URI, locs.get(0).getUri());
        assertEquals(at("my_layer", 0, 0), locs.get(0).getRange().getStart());

        locs = definition(at("Tiny on", 0, 1)); // the deploy's model
        assertEquals(at("Tiny {", 0, 0), locs.get(0).getRange().getStart());
    }

    @Test
    void definitionOfALocalNameIsItsLet() throws Exception {
        List<? extends Location> locs = definition(at("act(up)", 0, 5)); // `up` used in `h = act(up)`
        assertEquals(1, locs.size());
        assertEquals(at("up   =", 0, 0), locs.get(0).getRange().getStart());
    }

    @Test
    void hoverOnANameSaysWhatItRefersTo() throws Exception {
        assertEquals("block `my_mlp` (tiny)", hover(at("my_mlp(a)", 0, 1)));
        assertEquals("block `attention` (std.blocks)", hover(at("attention(x)", 0, 1)));
    }

    @Test
    void definitionIntoTheStdlib() throws Exception {
        String blocks = stdlibUri("std/blocks.pdag");
        List<? extends Location> locs = definition(at("attention(x)", 0, 2));
        assertEquals(1, locs.size());
        assertEquals(blocks, locs.get(0).getUri());
        assertEquals(new Position(lineOf(stdlibText("std/blocks.pdag"), "block attention("), 6), locs.get(0).getRange().getStart());

        locs = definition(at("H100", 0, 1));
        assertEquals(stdlibUri("std/hardware.pdag"), locs.get(0).getUri());

        locs = definition(at("std.blocks", 0, 5)); // the import
        assertEquals(blocks, locs.get(0).getUri());
        assertEquals(new Position(0, 0), locs.get(0).getRange().getStart());
    }

    static String stdlibText(String relative) throws IOException {
        return java.nio.file.Files.readString(Path.of(java.net.URI.create(stdlibUri(relative))));
    }

    static int lineOf(String text, String what) {
        int i = text.indexOf(what);
        assertTrue(i >= 0, what);
        return (int) text.substring(0, i).chars().filter(c -> c == '\n').count();
    }

    static String stdlibUri(String relative) {
        String dir = System.getProperty("pdagc.stdlib", Path.of(System.getProperty("pdagc.root", "..")).resolve("stdlib").toString());
        return Path.of(dir).resolve(relative).toAbsolutePath().normalize().toUri().toString();
    }

    @Test
    void completionOffersKeywordsNamesStdlibBlocksOpsAndProperties() throws Exception {
        List<CompletionItem> items = server.getTextDocumentService().completion(new CompletionParams(new TextDocumentIdentifier(URI), at("layer my_layer", 0, 0)))
                .get(WAIT, TimeUnit.SECONDS).getRight().getItems();
        Set<String> labels = items.stream().map(CompletionItem::getLabel).collect(Collectors.toSet());
        for (String want : List.of("deploy", "strategy", "require", "my_mlp", "Tiny", "Small", "Tp4", "moe_layer", "gated_moe", "H100",
                "linear", "attn_scores", "mla_context", "kv_heads", "micro_batches", "expert_mesh", "rate", "requests", "decode_attention",
                "ttft_p99", "tpot_p99", "throughput")) {
            assertTrue(labels.contains(want), want + " missing from " + labels);
        }
    }

    /** Collects what the server publishes. */
    static final class Client implements LanguageClient {
        @Override
        public void publishDiagnostics(PublishDiagnosticsParams diagnostics) {
            published.add(diagnostics);
        }

        @Override
        public void telemetryEvent(Object object) {}

        @Override
        public void showMessage(MessageParams messageParams) {}

        @Override
        public CompletableFuture<MessageActionItem> showMessageRequest(ShowMessageRequestParams requestParams) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void logMessage(MessageParams message) {}
    }

}
