package pdagc.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
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

    static {
        // pdagc has no Groovy closures in its annotations; without this, picocli looks for Groovy's
        // Closure class at start-up, and that failed lookup opens and indexes the whole jar.
        System.setProperty("picocli.disable.closures", "true");
    }

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

    /** The subcommands, in the order that the usage help lists them. */
    private static final List<String> SUBCOMMANDS = List.of("check", "verify", "import", "stats", "fidelity", "fmt", "lsp");

    private static int run(String[] args, java.io.OutputStream stdout, PrintWriter out, PrintWriter err) {
        Prefetch.start(args, new HashSet<>(SUBCOMMANDS));
        CommandLine cmd = commandLine(args, stdout, out, err);
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

    /**
     * The command line to execute {@code args} with. Building a subcommand's model from its
     * annotations is most of pdagc's start-up time, so only the subcommands that {@code args} name
     * are registered when that cannot change what the user sees: the arguments parse without an
     * error and no usage help of the top-level command (which lists every subcommand) is to be
     * printed. Otherwise, every subcommand is registered, as the usage and error messages need.
     */
    private static CommandLine commandLine(String[] args, java.io.OutputStream stdout, PrintWriter out, PrintWriter err) {
        Set<String> named = new HashSet<>();
        boolean partial = true;
        for (String a : args) {
            if (SUBCOMMANDS.contains(a)) named.add(a);
            // An argument file (@FILE) may name any subcommand.
            if (a.startsWith("@")) partial = false;
        }
        if (partial && named.size() < SUBCOMMANDS.size()) {
            CommandLine cmd = commandLine(named, stdout, out, err);
            try {
                CommandLine.ParseResult parsed = cmd.parseArgs(args);
                if (!parsed.isUsageHelpRequested() && (parsed.hasSubcommand() || parsed.isVersionHelpRequested() || parsed.hasMatchedPositional(0))) {
                    return cmd;
                }
            } catch (RuntimeException e) {
                // Reported as before, by the full command line (with its suggestions) when it runs.
            }
        }
        return commandLine(new HashSet<>(SUBCOMMANDS), stdout, out, err);
    }

    private static CommandLine commandLine(Set<String> subcommands, java.io.OutputStream stdout, PrintWriter out, PrintWriter err) {
        CommandLine cmd = new CommandLine(new CompileCommand(out, stdout, err));
        for (String name : SUBCOMMANDS) {
            if (!subcommands.contains(name)) continue;
            Object command = switch (name) {
                case "check" -> new CheckCommand(out, err);
                case "verify" -> new VerifyCommand(out, err);
                case "import" -> new ImportCommand(stdout, err);
                case "stats" -> new StatsCommand(out, err);
                case "fidelity" -> new FidelityCommand(out, err);
                case "fmt" -> new FmtCommand(out, err);
                case "lsp" -> new LspCommand(stdout);
                default -> throw new IllegalStateException(name);
            };
            CommandLine sub = new CommandLine(command);
            if (command instanceof ImportCommand) ImportCommand.Megatron.configure(sub);
            cmd.addSubcommand(name, sub);
        }
        cmd.setOut(out);
        cmd.setErr(err);
        cmd.setExecutionExceptionHandler((ex, line, parsed) -> internalError(ex, err));
        return cmd;
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
