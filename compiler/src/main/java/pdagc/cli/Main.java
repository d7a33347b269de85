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
        System.exit(run(args, new PrintWriter(System.out, true, StandardCharsets.UTF_8), new PrintWriter(System.err, true, StandardCharsets.UTF_8)));
    }

    /** Runs the command line with the given streams; used by tests in-process. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cmd = new CommandLine(new CompileCommand(out, err));
        cmd.addSubcommand("check", new CommandLine(new CheckCommand(out, err)));
        cmd.addSubcommand("verify", new CommandLine(new VerifyCommand(out, err)));
        cmd.setOut(out);
        cmd.setErr(err);
        cmd.setExecutionExceptionHandler((ex, line, parsed) -> internalError(ex, err));
        try {
            return cmd.execute(args);
        } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
            return internalError(e, err);
        } finally {
            out.flush();
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
