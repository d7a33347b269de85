package pdagc.backend;

/** The Graphviz that turned a DOT text into SVG, so the command line can say which one ran. */
public enum SvgEngine {
    /** The {@code dot} program found on the PATH (Debian's {@code graphviz} package). */
    NATIVE_DOT("dot on the PATH"),
    /** Graphviz compiled to JavaScript (viz.js), bundled with graphviz-java and run in J2V8. */
    J2V8("bundled viz.js in J2V8");

    private final String description;

    SvgEngine(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }
}
