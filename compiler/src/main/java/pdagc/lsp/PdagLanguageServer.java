package pdagc.lsp;

import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.eclipse.lsp4j.CompletionOptions;
import org.eclipse.lsp4j.DidChangeConfigurationParams;
import org.eclipse.lsp4j.DidChangeWatchedFilesParams;
import org.eclipse.lsp4j.InitializeParams;
import org.eclipse.lsp4j.InitializeResult;
import org.eclipse.lsp4j.ServerCapabilities;
import org.eclipse.lsp4j.ServerInfo;
import org.eclipse.lsp4j.TextDocumentSyncKind;
import org.eclipse.lsp4j.jsonrpc.Launcher;
import org.eclipse.lsp4j.launch.LSPLauncher;
import org.eclipse.lsp4j.services.LanguageClient;
import org.eclipse.lsp4j.services.LanguageClientAware;
import org.eclipse.lsp4j.services.LanguageServer;
import org.eclipse.lsp4j.services.TextDocumentService;
import org.eclipse.lsp4j.services.WorkspaceService;

/**
 * The pdagc language server ({@code pdagc lsp}): editors talk to it over the Language Server
 * Protocol to get the compiler's own diagnostics while typing, hovers with shapes and plan figures,
 * go to definition and completion. The document work is in {@link PdagTextDocumentService}.
 */
public final class PdagLanguageServer implements LanguageServer, LanguageClientAware {
    private volatile LanguageClient client;
    private final PdagTextDocumentService documents = new PdagTextDocumentService(() -> client);
    private final Runnable onExit;
    private volatile boolean shutdown;

    /** @param onExit what the {@code exit} notification does (the command ends the process; tests do nothing) */
    public PdagLanguageServer(Runnable onExit) {
        this.onExit = onExit;
    }

    /**
     * Serves one client over a pair of streams until the {@code exit} notification or the end of
     * the input; returns the process exit status (0 after {@code shutdown}, else 1, as the protocol says).
     */
    public static int serve(InputStream in, OutputStream out) throws InterruptedException {
        oneLineLogs(System.err);
        CompletableFuture<Void> exited = new CompletableFuture<>();
        PdagLanguageServer server = new PdagLanguageServer(() -> exited.complete(null));
        Launcher<LanguageClient> launcher = LSPLauncher.createServerLauncher(server, in, out);
        server.connect(launcher.getRemoteProxy());
        java.util.concurrent.Future<Void> listening = launcher.startListening();
        Thread watcher = new Thread(() -> {
            try {
                listening.get();
            } catch (InterruptedException | ExecutionException | java.util.concurrent.CancellationException e) {
                // the input ended or broke: stop serving either way
            }
            exited.complete(null);
        }, "pdagc-lsp-input");
        watcher.setDaemon(true);
        watcher.start();
        try {
            exited.get();
        } catch (ExecutionException e) {
            return 1;
        }
        return server.shutdown ? 0 : 1;
    }

    /** lsp4j's logger, held so that its configuration is not collected with it. */
    private static final Logger LSP4J = Logger.getLogger("org.eclipse.lsp4j");

    /** Characters of one logged line at most. */
    private static final int LOG_LINE = 300;

    /**
     * lsp4j logs what goes wrong (malformed JSON, a request that threw) through java.util.logging,
     * which prints whole Java stack traces; pdagc logs each event as one line on {@code err}:
     * {@code pdagc lsp: LEVEL: message (Exception: message)}, without a trace.
     */
    static void oneLineLogs(PrintStream err) {
        LSP4J.setUseParentHandlers(false);
        for (Handler h : LSP4J.getHandlers()) LSP4J.removeHandler(h);
        LSP4J.addHandler(new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (!isLoggable(r)) return;
                err.println(line(r));
                err.flush();
            }

            @Override
            public void flush() {
                err.flush();
            }

            @Override
            public void close() {}
        });
    }

    static String line(LogRecord r) {
        String message = new SimpleFormatter().formatMessage(r);
        StringBuilder b = new StringBuilder("pdagc lsp: ").append(r.getLevel().getName().toLowerCase(Locale.ROOT)).append(": ")
                .append(message == null ? "" : message.strip());
        Throwable t = r.getThrown();
        if (t != null) {
            b.append(" (").append(t.getClass().getSimpleName());
            if (t.getMessage() != null) b.append(": ").append(t.getMessage());
            b.append(')');
        }
        String one = b.toString().replaceAll("\\s*[\\r\\n]+\\s*", " ");
        return one.length() > LOG_LINE ? one.substring(0, LOG_LINE) + "..." : one;
    }

    @Override
    public void connect(LanguageClient client) {
        this.client = client;
    }

    @Override
    public CompletableFuture<InitializeResult> initialize(InitializeParams params) {
        ServerCapabilities caps = new ServerCapabilities();
        caps.setTextDocumentSync(TextDocumentSyncKind.Full);
        caps.setHoverProvider(true);
        caps.setDefinitionProvider(true);
        caps.setCompletionProvider(new CompletionOptions(false, List.of(".", "@")));
        return CompletableFuture.completedFuture(new InitializeResult(caps, new ServerInfo("pdagc")));
    }

    @Override
    public CompletableFuture<Object> shutdown() {
        shutdown = true;
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public void exit() {
        onExit.run();
    }

    @Override
    public TextDocumentService getTextDocumentService() {
        return documents;
    }

    @Override
    public WorkspaceService getWorkspaceService() {
        return new WorkspaceService() {
            @Override
            public void didChangeConfiguration(DidChangeConfigurationParams params) {}

            @Override
            public void didChangeWatchedFiles(DidChangeWatchedFilesParams params) {}
        };
    }
}
