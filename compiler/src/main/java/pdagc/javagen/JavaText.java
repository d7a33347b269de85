package pdagc.javagen;

/**
 * Text from user files (deploy names, op names, file names) placed into generated Java. Comments
 * must not end early or smuggle code: javac turns a backslash-u escape into its character before it
 * sees comments, so a name holding the six characters of a newline escape would end a line comment
 * and what follows would compile. Everything written here is printable ASCII, so the generated
 * sources are ASCII too and read the same in every encoding.
 */
final class JavaText {
    private JavaText() {}

    /**
     * Text for a line or block comment: printable ASCII is kept, a backslash is doubled (so no
     * unicode escape can begin), every other character is written {@code U+XXXX}, and a star
     * followed by a slash gets a space between them.
     */
    static String comment(String raw) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '\\') b.append("\\\\");
            else if (c >= 0x20 && c < 0x7f) b.append(c);
            else b.append(String.format(java.util.Locale.ROOT, "U+%04X", (int) c));
        }
        return b.toString().replace("*/", "* /");
    }

    /** Text for a Javadoc comment: as {@link #comment}, with HTML and tag characters escaped. */
    static String javadoc(String raw) {
        return comment(raw).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("@", "&#64;").replace("{", "&#123;")
                .replace("}", "&#125;");
    }

    /** {@code text} broken into lines of at most {@code width} characters at spaces (longer words stay whole). */
    static String wrap(String text, int width) {
        StringBuilder out = new StringBuilder();
        int lineStart = 0;
        for (String word : text.split(" ")) {
            if (out.length() > lineStart && out.length() - lineStart + 1 + word.length() > width) {
                out.append('\n');
                lineStart = out.length();
            } else if (out.length() > lineStart) {
                out.append(' ');
            }
            out.append(word);
        }
        return out.toString();
    }

    /**
     * A Java string literal, quotes included, whose value is {@code raw}: ASCII only, with named or
     * octal escapes for control characters and {@code \}{@code uXXXX} only for non-ASCII characters
     * (which javac's escape pass turns back into themselves, never into a quote, backslash or line end).
     */
    static String literal(String raw) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    if (c < 0x20 || c == 0x7f) b.append(String.format(java.util.Locale.ROOT, "\\%03o", (int) c));
                    else if (c < 0x7f) b.append(c);
                    else b.append(String.format(java.util.Locale.ROOT, "\\u%04x", (int) c));
                }
            }
        }
        return b.append('"').toString();
    }
}
