package pdagc.ast;

import pdagc.source.Span;

/** A name as written, with where it was written. */
public record Ident(Span span, String text) {
    @Override
    public String toString() {
        return text;
    }
}
