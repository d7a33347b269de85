package pdagc.backend;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Renders a view's DOT text to SVG, choosing the engine that can do it: Graphviz's own {@code dot}
 * when it is on the PATH, else the bundled viz.js in J2V8 for DOT texts up to
 * {@value #J2V8_MAX_DOT_CHARS} characters (above about 1.3 million it fails), else a refusal that
 * says how to install Graphviz or which smaller view to pick.
 *
 * <p>Every engine runs in a process of its own under a deadline ({@link #DEFAULT_DEADLINE} unless
 * {@link #withDeadline} says otherwise): {@code dot} as a child process, viz.js in a child JVM
 * ({@link LayoutWorker}), because work inside V8 cannot be interrupted from Java. When the
 * deadline passes, the engine's process and all its descendants are ended and the result is
 * {@link SvgResult.TimedOut}; nothing waits for an orphan. The DOT text goes to the engine's
 * standard input and the SVG comes from its standard output. Every failure is returned as
 * {@link SvgResult.Failed}, nothing is printed.
 */
public final class SvgBackend {
    public static final int J2V8_MAX_DOT_CHARS = 1_200_000;
    /** How long a layout may take unless the caller says otherwise. */
    public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(60);
    private static final String INSTALL = "install Graphviz (apt-get install graphviz) so that pdagc can run dot";

    private final String searchPath;
    private final Duration deadline;

    /** Looks for {@code dot} on this process's PATH. */
    public SvgBackend() {
        this(Optional.ofNullable(System.getenv("PATH")).orElse(""));
    }

    /** Looks for {@code dot} on {@code searchPath} (directories separated as on the PATH). */
    public SvgBackend(String searchPath) {
        this(searchPath, DEFAULT_DEADLINE);
    }

    private SvgBackend(String searchPath, Duration deadline) {
        this.searchPath = searchPath;
        this.deadline = deadline;
    }

    /** The same backend, with every layout ended after {@code deadline}. */
    public SvgBackend withDeadline(Duration deadline) {
        if (deadline.isNegative() || deadline.isZero()) throw new IllegalArgumentException("a deadline must be positive: " + deadline);
        return new SvgBackend(searchPath, deadline);
    }

    public Duration deadline() {
        return deadline;
    }

    /** The {@code dot} executable on the search path, if there is one. */
    public Optional<Path> nativeDot() {
        for (String dir : searchPath.split(File.pathSeparator)) {
            if (dir.isEmpty()) continue;
            Path candidate = Path.of(dir, "dot");
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) return Optional.of(candidate);
        }
        return Optional.empty();
    }

    /** Renders DOT texts; see {@link #prepare()}. */
    public interface Renderer {
        SvgResult render(String dot);

        /** Ends what was started ahead for a text that will not come (the plan did not compile); idempotent. */
        default void close() {}
    }

    /**
     * A renderer whose engine starts now, while the caller goes on (the plan is still being
     * compiled): starting viz.js in its JVM takes about two seconds. It renders one text; the
     * deadline counts from the call to render. With {@code dot} on the PATH nothing starts early.
     */
    public Renderer prepare() {
        if (nativeDot().isPresent()) return this::render;
        ChildProcess worker;
        try {
            worker = ChildProcess.start(workerCommand());
        } catch (IOException | RuntimeException e) {
            return this::render;   // the plain path starts it again and reports why it cannot
        }
        return new Renderer() {
            private boolean used;

            @Override
            public synchronized SvgResult render(String dot) {
                if (used) return SvgBackend.this.render(dot);
                used = true;
                return dot.length() > J2V8_MAX_DOT_CHARS ? tooLarge(dot, worker) : j2v8(worker, dot);
            }

            @Override
            public synchronized void close() {
                if (!used) worker.abandon();
                used = true;
            }
        };
    }

    /** Renders {@code dot} with the best engine available. */
    public SvgResult render(String dot) {
        Optional<Path> exe = nativeDot();
        if (exe.isPresent()) return renderNative(dot, exe.get());
        if (dot.length() > J2V8_MAX_DOT_CHARS) return tooLarge(dot, null);
        return renderJ2v8(dot);
    }

    /** Renders {@code dot} with the given engine, without fallback; for tests and explicit choices. */
    public SvgResult render(String dot, SvgEngine engine) {
        return switch (engine) {
            case NATIVE_DOT -> nativeDot().map(exe -> renderNative(dot, exe))
                    .orElseGet(() -> new SvgResult.Failed("dot is not on the PATH: " + INSTALL));
            case J2V8 -> renderJ2v8(dot);
        };
    }

    private SvgResult tooLarge(String dot, ChildProcess started) {
        if (started != null) started.abandon();
        return new SvgResult.Failed("this view's DOT text has " + dot.length()
                + " characters, more than the bundled renderer handles (" + J2V8_MAX_DOT_CHARS + "), and dot is not on the PATH: "
                + INSTALL + ", or pick a smaller view (" + View.SYNTAX + ")");
    }

    /** Runs {@code dot -Tsvg} itself (no shell between), the text on its standard input. */
    private SvgResult renderNative(String dot, Path exe) {
        ChildProcess.Outcome o;
        try {
            o = ChildProcess.run(List.of(exe.toString(), "-Tsvg"), dot.getBytes(StandardCharsets.UTF_8), deadline);
        } catch (IOException | RuntimeException e) {
            return new SvgResult.Failed("dot (" + exe + ") failed: " + reason(e));
        }
        if (o.timedOut()) return new SvgResult.TimedOut(SvgEngine.NATIVE_DOT, deadline);
        if (o.exit() != 0) {
            return new SvgResult.Failed("dot (" + exe + ") failed: " + firstLines(o.stderr(), "exit status " + o.exit()));
        }
        return checked(new String(o.stdout(), StandardCharsets.UTF_8), SvgEngine.NATIVE_DOT);
    }

    private SvgResult renderJ2v8(String dot) {
        try {
            return j2v8(ChildProcess.start(workerCommand()), dot);
        } catch (IOException | RuntimeException e) {
            return new SvgResult.Failed("the bundled renderer (viz.js in J2V8) could not start: " + reason(e) + "; " + INSTALL);
        }
    }

    private SvgResult j2v8(ChildProcess worker, String dot) {
        ChildProcess.Outcome o = worker.finish(dot.getBytes(StandardCharsets.UTF_8), deadline);
        if (o.timedOut()) return new SvgResult.TimedOut(SvgEngine.J2V8, deadline);
        if (o.exit() != 0) {
            return new SvgResult.Failed("the bundled renderer (viz.js in J2V8) failed: " + firstLines(o.stderr(), "exit status " + o.exit())
                    + "; " + INSTALL + ", or pick a smaller view");
        }
        return checked(new String(o.stdout(), StandardCharsets.UTF_8), SvgEngine.J2V8);
    }

    /**
     * The command that starts {@link LayoutWorker}: this JVM's {@code java} with this process's
     * class path; a small heap (the SVG text and the DOT text are its largest objects; V8's own
     * heap is outside it) and the quick start-up flags of the launcher.
     */
    static List<String> workerCommand() {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = new ArrayList<>(List.of(java.toString(), "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData",
                "-XX:-PrintWarnings", "-Xmx512m", "-cp", System.getProperty("java.class.path"), LayoutWorker.class.getName()));
        return cmd;
    }

    /** The first lines of an engine's error output, without the JVM's warnings; {@code otherwise} when it said nothing. */
    private static String firstLines(String stderr, String otherwise) {
        List<String> lines = new ArrayList<>();
        for (String line : stderr.strip().split("\\R")) {
            if (line.isBlank() || line.contains("VM warning") || line.contains("execstack")) continue;
            lines.add(line.strip());
            if (lines.size() == 3) break;
        }
        String text = String.join("; ", lines);
        if (text.length() > 600) text = text.substring(0, 600) + "...";
        return text.isEmpty() ? otherwise : text;
    }

    /**
     * viz.js's heap in bytes (a multiple of 16 MiB): its 16 MiB default fails at a few hundred
     * nodes; 1 GiB rendered 1.1 million characters of DOT. Views within the default budget take
     * 256 MiB, the size {@link #prepare()} makes ahead (a call with another size makes a new heap,
     * about a second at this size).
     */
    static int memoryFor(int dotChars) {
        return dotChars <= 300_000 ? 256 << 20 : 1 << 30;
    }

    private static SvgResult checked(String svg, SvgEngine engine) {
        String head = svg.stripLeading();
        if (head.startsWith("<?xml") || head.startsWith("<svg")) return new SvgResult.Rendered(svg, engine);
        String start = head.length() > 120 ? head.substring(0, 120) + "..." : head;
        return new SvgResult.Failed(engine.description() + " returned something that is not SVG: " + start);
    }

    static String reason(Throwable e) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = e; t != null && b.length() < 600; t = t.getCause()) {
            String m = t.getMessage();
            if (m == null || m.isBlank() || b.indexOf(m.strip()) >= 0) continue;
            if (b.length() > 0) b.append(": ");
            b.append(m.strip());
        }
        return b.length() == 0 ? e.getClass().getSimpleName() + " without a message (a DOT text this large may exceed the renderer's memory)" : b.toString();
    }
}
