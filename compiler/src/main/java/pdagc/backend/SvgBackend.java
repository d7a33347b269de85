package pdagc.backend;

import guru.nidi.graphviz.engine.Engine;
import guru.nidi.graphviz.engine.Format;
import guru.nidi.graphviz.engine.GraphvizCmdLineEngine;
import guru.nidi.graphviz.engine.GraphvizV8Engine;
import guru.nidi.graphviz.engine.Options;
import guru.nidi.graphviz.engine.Rasterizer;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Renders a view's DOT text to SVG with graphviz-java, choosing the engine that can do it:
 * Graphviz's own {@code dot} when it is on the PATH (fast; its timeout raised to
 * {@value #NATIVE_TIMEOUT_MINUTES} minutes from graphviz-java's 10 seconds), else the bundled
 * viz.js in J2V8 for DOT texts up to {@value #J2V8_MAX_DOT_CHARS} characters (above about 1.3
 * million it fails), else a refusal that says how to install Graphviz or which smaller view to pick.
 *
 * <p>The DOT text goes straight to the engine (no parsing into graphviz-java's model). Every
 * failure of graphviz-java or J2V8 is caught and returned as {@link SvgResult.Failed}; logging goes
 * to slf4j-nop, so nothing is printed. J2V8 unpacks its native library into the home directory on
 * first use, and the JVM may warn once on stderr that the library could disable the stack guard
 * (a JVM message that only {@code -XX:-PrintWarnings} silences).
 */
public final class SvgBackend {
    public static final int J2V8_MAX_DOT_CHARS = 1_200_000;
    public static final int NATIVE_TIMEOUT_MINUTES = 10;
    private static final String INSTALL = "install Graphviz (apt-get install graphviz) so that pdagc can run dot";

    private final String searchPath;

    /** Looks for {@code dot} on this process's PATH. */
    public SvgBackend() {
        this(Optional.ofNullable(System.getenv("PATH")).orElse(""));
    }

    /** Looks for {@code dot} on {@code searchPath} (directories separated as on the PATH). */
    public SvgBackend(String searchPath) {
        this.searchPath = searchPath;
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
    }

    /**
     * A renderer whose engine starts now, on a thread of its own, while the caller goes on (the
     * plan is still being compiled): starting viz.js in J2V8 takes about two seconds, laying out a
     * few hundred nodes about one more. J2V8 binds a runtime to the thread that made it, so that
     * thread also renders, once; the engine is closed afterwards. With {@code dot} on the PATH
     * nothing starts early.
     */
    public Renderer prepare() {
        if (nativeDot().isPresent()) return this::render;
        java.util.concurrent.ExecutorService worker = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "pdagc-svg");
            t.setDaemon(true);
            return t;
        });
        java.util.concurrent.Future<GraphvizV8Engine> started = worker.submit(() -> {
            GraphvizV8Engine engine = new GraphvizV8Engine();
            // Laying out a two-node graph loads viz.js and makes its heap, of the size most views take.
            engine.execute("digraph { a -> b }", Options.create().engine(Engine.DOT).format(Format.SVG).totalMemory(memoryFor(0)), Rasterizer.NONE);
            return engine;
        });
        return dot -> {
            try {
                return worker.submit(() -> {
                    GraphvizV8Engine engine;
                    try {
                        engine = started.get();
                    } catch (java.util.concurrent.ExecutionException e) {
                        return render(dot);   // starting failed: the plain path reports why
                    }
                    try {
                        return dot.length() > J2V8_MAX_DOT_CHARS ? render(dot) : renderJ2v8(dot, engine);
                    } finally {
                        engine.close();
                    }
                }).get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new SvgResult.Failed("interrupted while laying out the view");
            } catch (java.util.concurrent.ExecutionException e) {
                return new SvgResult.Failed("the bundled renderer (viz.js in J2V8) failed: " + reason(e.getCause()));
            } finally {
                worker.shutdown();
            }
        };
    }

    /** Renders {@code dot} with the best engine available. */
    public SvgResult render(String dot) {
        Optional<Path> exe = nativeDot();
        if (exe.isPresent()) return renderNative(dot, exe.get());
        if (dot.length() > J2V8_MAX_DOT_CHARS) {
            return new SvgResult.Failed("this view's DOT text has " + dot.length()
                    + " characters, more than the bundled renderer handles (" + J2V8_MAX_DOT_CHARS + "), and dot is not on the PATH: "
                    + INSTALL + ", or pick a smaller view (" + View.SYNTAX + ")");
        }
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

    private SvgResult renderNative(String dot, Path exe) {
        try {
            GraphvizCmdLineEngine engine = new GraphvizCmdLineEngine(exe.toString())
                    .searchPath(searchPath)
                    .timeout(NATIVE_TIMEOUT_MINUTES, TimeUnit.MINUTES);
            String svg = engine.execute(dot, Options.create().engine(Engine.DOT).format(Format.SVG), Rasterizer.NONE).asString();
            return checked(svg, SvgEngine.NATIVE_DOT);
        } catch (Exception | LinkageError e) {
            return new SvgResult.Failed("dot (" + exe + ") failed: " + reason(e));
        }
    }

    private static SvgResult renderJ2v8(String dot) {
        return renderJ2v8(dot, null);
    }

    /** Renders with {@code started}, an engine already started on this thread, or a new one when null. */
    private static SvgResult renderJ2v8(String dot, GraphvizV8Engine started) {
        try {
            GraphvizV8Engine engine = started != null ? started : new GraphvizV8Engine();
            Options options = Options.create().engine(Engine.DOT).format(Format.SVG).totalMemory(memoryFor(dot.length()));
            return checked(engine.execute(dot, options, Rasterizer.NONE).asString(), SvgEngine.J2V8);
        } catch (Exception | LinkageError e) {
            return new SvgResult.Failed("the bundled renderer (viz.js in J2V8) failed: " + reason(e)
                    + "; " + INSTALL + ", or pick a smaller view");
        }
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

    private static String reason(Throwable e) {
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
