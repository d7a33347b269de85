package pdagc.source;

/**
 * A range of characters in a source file: every AST node and every IR op carries one, so that any
 * pass can report a problem at the text that caused it.
 *
 * @param start 0-based offset of the first character
 * @param end 0-based offset after the last character (end >= start)
 */
public record Span(SourceFile file, int start, int end) {

    /** A span for things that have no source (built-in defaults). */
    public static final Span NONE = new Span(SourceFile.of("<built-in>", null, ""), 0, 0);

    public int line() {
        return file.lineOf(start);
    }

    public int column() {
        return file.columnOf(start);
    }

    public Span to(Span other) {
        if (other == null || other.file != file) return this;
        return new Span(file, Math.min(start, other.start), Math.max(end, other.end));
    }

    public boolean isNone() {
        return this == NONE || file.text().isEmpty() && file.displayName().equals("<built-in>");
    }

    public String text() {
        return file.text().substring(start, Math.min(end, file.text().length()));
    }

    /** {@code file:line:col}, as editors and terminals link it. */
    public String location() {
        return file.displayName() + ":" + line() + ":" + column();
    }

    @Override
    public String toString() {
        return location();
    }
}
