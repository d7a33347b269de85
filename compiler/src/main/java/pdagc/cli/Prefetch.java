package pdagc.cli;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import pdagc.driver.Compiler;

/**
 * The compilation a command line asks for, started on a thread of its own before picocli builds
 * its command model: on a 2-core machine that set-up (about 0.13 s) and the front end then run side
 * by side. Only these forms are recognised, whose compilation the arguments fix: {@code check FILE}
 * (one file), and {@code FILE} followed only by options that do not change the compilation
 * ({@code --emit}, {@code -o}/{@code --output}, {@code --view}, {@code --budget}, {@code --deploy},
 * {@code --layout-timeout}, {@code --layout-engine}): with {@code --emit} or {@code --deploy} it
 * compiles one deploy, without both it is the summary of every deploy, compiled as {@code check}
 * compiles them.
 * A command takes the result only when it asks for exactly that compilation (the same form, file
 * and deploy) and compiles by itself otherwise. The early compilation prints nothing (a compiler
 * only collects diagnostics), so what the user sees is the same either way.
 */
final class Prefetch {
    /**
     * The compiler that ran, and what it returned: {@code List<MaterializedPlan>} for check and
     * summary (every deploy), {@code Optional<MaterializedPlan>} for compile (one deploy).
     */
    record Result(Compiler compiler, Object value) {}

    private static final Set<String> COMPILE_OPTIONS = Set.of("--emit", "-o", "--output", "--view", "--budget", "--deploy",
            "--layout-timeout", "--layout-engine");

    private static Prefetch pending;

    private final String form;
    private final Path file;
    private final String deploy;
    private final FutureTask<Result> task;

    private Prefetch(String form, Path file, String deploy, FutureTask<Result> task) {
        this.form = form;
        this.file = file;
        this.deploy = deploy;
        this.task = task;
    }

    /** Starts the compilation {@code args} ask for, if they have one of the two forms. */
    static synchronized void start(String[] args, Set<String> subcommands) {
        pending = null;
        Prefetch p = recognise(args, subcommands);
        if (p == null) return;
        Thread t = new Thread(p.task, "pdagc-compile");
        t.setDaemon(true);
        t.start();
        pending = p;
    }

    private static Prefetch recognise(String[] args, Set<String> subcommands) {
        if (args.length == 2 && args[0].equals("check") && plainArgument(args[1])) {
            Path f = path(args[1]);
            if (f == null) return null;
            return new Prefetch("check", f, null, new FutureTask<>(() -> {
                Compiler c = new Compiler(Set.of());
                return new Result(c, c.check(f, Reporting.display(f)));
            }));
        }
        if (args.length == 0 || !plainArgument(args[0]) || subcommands.contains(args[0])) return null;
        String deploy = null;
        boolean emits = false;
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            if (!COMPILE_OPTIONS.contains(name)) return null;
            String value;
            if (a.contains("=")) {
                value = a.substring(a.indexOf('=') + 1);
            } else {
                if (i + 1 >= args.length) return null;
                value = args[++i];
            }
            if (name.equals("--deploy")) deploy = value;
            if (name.equals("--emit")) emits = true;
        }
        Path f = path(args[0]);
        if (f == null) return null;
        if (!emits && deploy == null) {
            // The plain summary covers every deploy of the file, compiled as `check` compiles them.
            return new Prefetch("summary", f, null, new FutureTask<>(() -> {
                Compiler c = new Compiler(Set.of()).needingDeploy();
                return new Result(c, c.check(f, Reporting.display(f)));
            }));
        }
        String only = deploy;
        return new Prefetch("compile", f, only, new FutureTask<>(() -> {
            Compiler c = new Compiler(Set.of());
            return new Result(c, c.compile(f, Reporting.display(f), only));
        }));
    }

    private static boolean plainArgument(String a) {
        return !a.isEmpty() && !a.startsWith("-") && !a.startsWith("@");
    }

    private static Path path(String a) {
        try {
            return Path.of(a);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * The early result of compiling {@code file} in {@code form} ("check", "summary" or "compile") with
     * {@code deploy}, once; empty when none was started for exactly that, or it failed.
     */
    static synchronized Optional<Result> take(String form, Path file, String deploy) {
        Prefetch p = pending;
        if (p == null || !p.form.equals(form) || !p.file.equals(file) || !Objects.equals(p.deploy, deploy)) return Optional.empty();
        pending = null;
        try {
            return Optional.of(p.task.get());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } catch (ExecutionException e) {
            return Optional.empty();   // the command compiles again and meets the same failure itself
        }
    }

    /** For tests: whether a compilation is waiting to be taken. */
    static synchronized boolean pending() {
        return pending != null;
    }
}
