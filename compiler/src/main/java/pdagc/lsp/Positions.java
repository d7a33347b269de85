package pdagc.lsp;

import org.eclipse.lsp4j.Position;
import org.eclipse.lsp4j.Range;
import pdagc.source.SourceFile;
import pdagc.source.Span;

/**
 * Converts between the compiler's spans (0-based char offsets, shown as 1-based line:column) and
 * LSP positions (0-based line, 0-based UTF-16 character; Java strings are UTF-16 already).
 */
final class Positions {
    private Positions() {}

    static Position position(SourceFile file, int offset) {
        return new Position(file.lineOf(offset) - 1, file.columnOf(offset) - 1);
    }

    static Range range(Span span) {
        return new Range(position(span.file(), span.start()), position(span.file(), span.end()));
    }

    /** The 0-based char offset of an LSP position, clamped to the text. */
    static int offset(SourceFile file, Position p) {
        if (p.getLine() < 0) return 0;
        if (p.getLine() >= file.lineCount()) return file.text().length();
        int start = file.lineStarts()[p.getLine()];
        int end = p.getLine() + 1 < file.lineCount() ? file.lineStarts()[p.getLine() + 1] - 1 : file.text().length();
        return Math.max(start, Math.min(start + Math.max(0, p.getCharacter()), end));
    }

    static boolean contains(Span span, int offset) {
        return span != null && span.start() <= offset && offset <= span.end();
    }
}
