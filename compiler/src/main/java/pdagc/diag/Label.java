package pdagc.diag;

import pdagc.source.Span;

/** A span with a short message under its carets; a diagnostic has one primary and any secondary. */
public record Label(Span span, String message) {}
