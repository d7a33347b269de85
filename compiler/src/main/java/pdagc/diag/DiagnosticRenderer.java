package pdagc.diag;

import java.util.List;
import pdagc.source.Span;

/**
 * Renders diagnostics the way rustc does: a header with the code, the location, the source line
 * with carets under the span and its label, then secondary labels, notes and help.
 */
public final class DiagnosticRenderer {

    private DiagnosticRenderer() {}

    public static String render(List<Diagnostic> diagnostics) {
        StringBuilder out = new StringBuilder();
        for (Diagnostic d : diagnostics) {
            out.append(render(d)).append('\n');
        }
        return out.toString();
    }

    public static String summary(Diagnostics diagnostics) {
        int errors = diagnostics.errorCount();
        int warnings = diagnostics.warningCount();
        if (errors == 0 && warnings == 0) return "";
        StringBuilder out = new StringBuilder();
        if (errors > 0) out.append(errors == 1 ? "1 error" : errors + " errors");
        if (warnings > 0) {
            if (out.length() > 0) out.append(", ");
            out.append(warnings == 1 ? "1 warning" : warnings + " warnings");
        }
        return out.toString();
    }

    public static String render(Diagnostic d) {
        StringBuilder out = new StringBuilder();
        out.append(d.severity().label()).append('[').append(d.code().id()).append("]: ").append(d.message()).append('\n');
        Span span = d.span();
        String gutter = " ".repeat(String.valueOf(lastLine(d)).length());
        // A file with no text (one that could not be read, or an empty one) has no line to quote:
        // the location is the file alone.
        out.append(gutter).append("--> ").append(hasText(span) ? span.location() : span.file().displayName()).append('\n');
        quote(out, gutter, d.primary(), '^', null);
        Span previous = span;
        for (Label label : d.secondary()) {
            if (label.span().file() != span.file()) {
                out.append(gutter).append("::: ").append(label.span().location()).append('\n');
            }
            quote(out, gutter, label, '-', previous);
            if (!label.span().isNone()) previous = label.span();
        }
        for (String note : d.notes()) {
            out.append(gutter).append(" = note: ").append(note).append('\n');
        }
        if (d.help() != null) {
            out.append(gutter).append(" = help: ").append(d.help()).append('\n');
        }
        return out.toString();
    }

    private static boolean hasText(Span span) {
        return !span.file().text().isEmpty();
    }

    private static int lastLine(Diagnostic d) {
        int max = d.span().line();
        for (Label l : d.secondary()) max = Math.max(max, l.span().line());
        return max;
    }

    /** The most columns of a source line quoted; a longer line is clipped around the span, with "..." where text is left out. */
    static final int MAX_COLUMNS = 160;

    /** Columns shown before the span's start when a long line is clipped. */
    private static final int CONTEXT = 40;

    private static final String ELLIPSIS = "...";

    /**
     * Quotes the label's line with marks under its span; a line just quoted is not quoted again. A
     * line longer than {@link #MAX_COLUMNS} is clipped to a window that starts a little before the
     * span, so that a one-line file of any size quotes at most a screen width, carets still under the span.
     */
    private static void quote(StringBuilder out, String gutter, Label label, char mark, Span previous) {
        Span span = label.span();
        if (span.isNone() || !hasText(span)) return;
        int line = span.line();
        int length = span.file().lineLength(line);
        int col = Math.min(span.column() - 1, length);
        int endLine = span.file().lineOf(Math.max(span.start(), span.end() - 1));
        int width = endLine == line ? Math.max(1, span.end() - span.start()) : Math.max(1, length - col);
        int from = 0;
        int to = length;
        if (length > MAX_COLUMNS) {
            from = Math.max(0, col - CONTEXT);
            to = Math.min(length, from + MAX_COLUMNS);
            if (to == length) from = Math.max(0, length - MAX_COLUMNS);
            // Never split a surrogate pair at either end.
            if (from > 0 && Character.isLowSurrogate(charAt(span, line, from))) from++;
            if (to < length && to > 0 && Character.isHighSurrogate(charAt(span, line, to - 1))) to--;
        }
        String before = from > 0 ? ELLIPSIS : "";
        String text = before + printable(span.file().lineText(line, from, to)) + (to < length ? ELLIPSIS : "");
        String num = String.valueOf(line);
        String pad = " ".repeat(gutter.length() - num.length());
        // A clipped line is quoted again for each label: each label's window is its own.
        if (previous == null || previous.file() != span.file() || previous.line() != line || length > MAX_COLUMNS) {
            out.append(gutter).append(" |\n");
            out.append(pad).append(num).append(" | ").append(text).append('\n');
        }
        int shownCol = before.length() + Math.max(0, col - from);
        width = Math.max(1, Math.min(width, Math.max(1, text.length() - shownCol)));
        out.append(gutter).append(" | ").append(" ".repeat(shownCol)).append(String.valueOf(mark).repeat(width));
        if (!label.message().isEmpty()) out.append(' ').append(label.message());
        out.append('\n');
    }

    private static char charAt(Span span, int line, int index) {
        String c = span.file().lineText(line, index, index + 1);
        return c.isEmpty() ? ' ' : c.charAt(0);
    }

    /** Tabs and control characters would shift the carets; show them as single visible characters. */
    private static String printable(String line) {
        StringBuilder b = new StringBuilder(line.length());
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            b.append(c == '\t' ? ' ' : Character.isISOControl(c) ? '?' : c);
        }
        return b.toString();
    }
}
