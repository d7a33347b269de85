package pdagc.backend;

/**
 * The outcome of rendering DOT to SVG: the SVG text and the engine that made it, or a message that
 * says what went wrong and what to do. Rendering problems are results, not exceptions, so that the
 * command line prints them like any other message and no stack trace reaches the user.
 */
public sealed interface SvgResult permits SvgResult.Rendered, SvgResult.Failed {

    record Rendered(String svg, SvgEngine engine) implements SvgResult {}

    record Failed(String message) implements SvgResult {}
}
