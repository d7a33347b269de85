package pdagc.backend;

import java.time.Duration;

/**
 * The outcome of rendering DOT to SVG: the SVG text and the engine that made it, a message that
 * says what went wrong and what to do, or that the engine ran past its deadline (and was ended).
 * Rendering problems are results, not exceptions, so that the command line prints them like any
 * other message and no stack trace reaches the user.
 */
public sealed interface SvgResult permits SvgResult.Rendered, SvgResult.Failed, SvgResult.TimedOut {

    record Rendered(String svg, SvgEngine engine) implements SvgResult {}

    record Failed(String message) implements SvgResult {}

    /** {@code engine} had not finished the layout when {@code deadline} passed; it and its processes were ended. */
    record TimedOut(SvgEngine engine, Duration deadline) implements SvgResult {}
}
