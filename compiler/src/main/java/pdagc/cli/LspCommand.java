package pdagc.cli;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import pdagc.lsp.PdagLanguageServer;
import picocli.CommandLine.Command;

/**
 * {@code pdagc lsp}: serves the Language Server Protocol over stdin/stdout for editors. Everything
 * else that would print to {@code System.out} is sent to stderr, so the protocol stream stays clean.
 */
@Command(name = "lsp", description = "Serve the Language Server Protocol over stdin/stdout (for editors).", mixinStandardHelpOptions = true)
final class LspCommand implements Callable<Integer> {
    private final OutputStream stdout;

    LspCommand(OutputStream stdout) {
        this.stdout = stdout;
    }

    @Override
    public Integer call() throws InterruptedException {
        PrintStream previous = System.out;
        System.setOut(System.err);
        try {
            return PdagLanguageServer.serve(System.in, stdout);
        } finally {
            System.setOut(previous);
        }
    }
}
