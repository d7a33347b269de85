package pdagc.lsp;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
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
