package pdagc.backend;

import guru.nidi.graphviz.engine.Engine;
import guru.nidi.graphviz.engine.Format;
import guru.nidi.graphviz.engine.GraphvizV8Engine;
import guru.nidi.graphviz.engine.Options;
import guru.nidi.graphviz.engine.Rasterizer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * The bundled layout engine (viz.js in J2V8) in a JVM of its own, which {@link SvgBackend} starts
 * and can end at its deadline: work inside V8 cannot be interrupted from Java, but a process can
 * be. It starts the engine at once (viz.js and its heap, about two seconds, while pdagc compiles
 * the plan), then reads one DOT text from its standard input, writes the SVG to its standard
 * output and exits 0; a failure is one line on its standard error and exit 1. It ends itself when
 * the process that started it ends, so that it never outlives pdagc.
 */
public final class LayoutWorker {
    private LayoutWorker() {}

    public static void main(String[] args) {
        PrintStream err = new PrintStream(System.err, true, StandardCharsets.UTF_8);
        ProcessHandle.current().parent().ifPresent(parent -> parent.onExit().thenRun(() -> Runtime.getRuntime().halt(3)));
        try {
            GraphvizV8Engine engine = new GraphvizV8Engine();
            // Laying out a two-node graph loads viz.js and makes its heap, of the size most views take.
            engine.execute("digraph { a -> b }", options(0), Rasterizer.NONE);
            String dot = new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
            String svg = engine.execute(dot, options(dot.length()), Rasterizer.NONE).asString();
            OutputStream out = System.out;
            out.write(svg.getBytes(StandardCharsets.UTF_8));
            out.flush();
            Runtime.getRuntime().halt(0);
        } catch (IOException | RuntimeException | LinkageError e) {
            err.println(SvgBackend.reason(e));
            Runtime.getRuntime().halt(1);
        }
    }

    private static Options options(int dotChars) {
        return Options.create().engine(Engine.DOT).format(Format.SVG).totalMemory(SvgBackend.memoryFor(dotChars));
    }
}
