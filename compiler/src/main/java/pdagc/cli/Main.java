package pdagc.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/**
 * The {@code pdagc} command. Exit codes: 0 ok, 1 errors in the input, 2 usage, 3 internal error
 * (a bug in pdagc, reported without a Java stack trace unless {@code PDAGC_DEBUG=1}).
 */
public final class Main {
    public static final int OK = 0;
    public static final int INPUT_ERRORS = 1;
    public static final int USAGE = 2;
    public static final int INTERNAL = 3;

    private Main() {}

    public static void main(String[] args) {
        java.io.OutputStream stdout = new java.io.FileOutputStream(java.io.FileDescriptor.out);
        System.exit(run(args, stdout, new PrintWriter(new java.io.OutputStreamWriter(System.err, StandardCharsets.UTF_8), true)));
    }

    /** Runs the command line with text streams; used by tests in-process. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        java.io.OutputStream bytes = new java.io.OutputStream() {
            private final java.io.ByteArrayOutputStream buffer = new java.io.ByteArrayOutputStream();

            @Override
            public void write(int b) {
                buffer.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                buffer.write(b, off, len);
            }

            @Override
            public void flush() {
                out.write(buffer.toString(StandardCharsets.UTF_8));
                out.flush();
                buffer.reset();
            }
        };
        return run(args, bytes, out, err);
    }

    /** Runs the command line; binary outputs go to {@code stdout}. */
    public static int run(String[] args, java.io.OutputStream stdout, PrintWriter err) {
        PrintWriter out = new PrintWriter(new java.io.OutputStreamWriter(stdout, StandardCharsets.UTF_8), true);
        return run(args, stdout, out, err);
    }

    private static int run(String[] args, java.io.OutputStream stdout, PrintWriter out, PrintWriter err) {
        CommandLine cmd = new CommandLine(new CompileCommand(out, stdout, err));
        cmd.addSubcommand("check", new CommandLine(new CheckCommand(out, err)));
        cmd.addSubcommand("verify", new CommandLine(new VerifyCommand(out, err)));
        cmd.addSubcommand("import", new CommandLine(new ImportCommand(stdout, err)));
        cmd.addSubcommand("stats", new CommandLine(new StatsCommand(out, err)));
        cmd.addSubcommand("fmt", new CommandLine(new FmtCommand(out, err)));
        cmd.addSubcommand("lsp", new CommandLine(new LspCommand(stdout)));
        cmd.setOut(out);
        cmd.setErr(err);
        cmd.setExecutionExceptionHandler((ex, line, parsed) -> internalError(ex, err));
        try {
            return cmd.execute(args);
        } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
            return internalError(e, err);
        } finally {
            out.flush();
            try {
                stdout.flush();
            } catch (java.io.IOException e) {
                err.println("error: cannot write to stdout: " + e.getMessage());
            }
            err.flush();
        }
    }

    static int internalError(Throwable e, PrintWriter err) {
        err.println("internal error, please report: " + e.getClass().getSimpleName() + (e.getMessage() != null ? ": " + e.getMessage() : ""));
        StackTraceElement[] trace = e.getStackTrace();
        if (trace.length > 0) err.println("  at " + trace[0]);
        if ("1".equals(System.getenv("PDAGC_DEBUG"))) e.printStackTrace(err);
        err.flush();
        return INTERNAL;
    }
}
