package pdagc.source;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * The text of one input file with a line index, so that any offset can be shown as line:column and
 * any line can be quoted in a diagnostic.
 *
 * @param displayName the name shown to the user (the path as given, or {@code <std>/std/blocks.pdag})
 * @param path the file on disk, or null for class-path (stdlib) and in-memory sources
 */
public record SourceFile(String displayName, Path path, String text, int[] lineStarts) {

    public static SourceFile of(String displayName, Path path, String text) {
        int count = 1;
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == '\n') count++;
        }
        int[] starts = new int[count];
        int line = 1;
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == '\n') starts[line++] = i + 1;
        }
        return new SourceFile(displayName, path, text, starts);
    }

    /** 1-based line of a 0-based char offset. */
    public int lineOf(int offset) {
        int i = Arrays.binarySearch(lineStarts, Math.max(0, Math.min(offset, text.length())));
        return i >= 0 ? i + 1 : -i - 1;
    }

    /** 1-based column of a 0-based char offset. */
    public int columnOf(int offset) {
        return Math.max(0, Math.min(offset, text.length())) - lineStarts[lineOf(offset) - 1] + 1;
    }

    /** The text of a 1-based line without its line terminator. */
    public String lineText(int line) {
        return lineText(line, 0, Integer.MAX_VALUE);
    }

    /** The length of a 1-based line without its line terminator, in chars. */
    public int lineLength(int line) {
        if (line < 1 || line > lineStarts.length) return 0;
        int start = lineStarts[line - 1];
        int end = line < lineStarts.length ? lineStarts[line] - 1 : text.length();
        if (end > start && text.charAt(end - 1) == '\r') end--;
        return Math.max(0, end - start);
    }

    /** The chars {@code from} (inclusive) to {@code to} (exclusive) of a 1-based line, clamped to it; no copy of the rest of a long line. */
    public String lineText(int line, int from, int to) {
        if (line < 1 || line > lineStarts.length) return "";
        int length = lineLength(line);
        int a = Math.max(0, Math.min(from, length));
        int b = Math.max(a, Math.min(to, length));
        int start = lineStarts[line - 1];
        return text.substring(start + a, start + b);
    }

    public int lineCount() {
        return lineStarts.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SourceFile f && f.displayName.equals(displayName) && f.text.equals(text);
    }

    @Override
    public int hashCode() {
        return displayName.hashCode();
    }

    @Override
    public String toString() {
        return displayName;
    }
}
