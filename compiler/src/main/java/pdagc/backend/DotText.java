package pdagc.backend;

/**
 * Turns any text into one safe DOT quoted string. Names come from user files, so a label may hold
 * quotes, backslashes, line breaks, markup such as {@code </svg>}, bidirectional controls or broken
 * surrogates; none of these may end the string, inject attributes, spoof the drawing or trip the
 * renderers. This is the only place where the DOT backend escapes text.
 *
 * <p>Rules, per code point: {@code \} and {@code "} are backslash-escaped; line breaks
 * ({@code \n}, {@code \r\n}, {@code \r}, U+2028, U+2029) become DOT's centred line break
 * {@code \n}; other control characters become a space (tab) or U+FFFD; {@code & < =} become
 * the HTML entities that Graphviz decodes in labels, so that no user text reads as markup (such as
 * {@code <img}) or as {@code image=}/{@code fontname=} to graphviz-java's pre-processing;
 * bidirectional controls are shown visibly as {@code [U+202E]}; unpaired surrogates become U+FFFD.
 */
public final class DotText {
    private DotText() {}

    /** {@code text} as a DOT quoted string, quotes included. */
    public static String quote(String text) {
        StringBuilder b = new StringBuilder(text.length() + 2).append('"');
        append(b, text);
        return b.append('"').toString();
    }

    /** Appends the escaped body of {@code text} (without the surrounding quotes). */
    public static void append(StringBuilder b, String text) {
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
                i++;
                continue;
            }
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                b.append(c).append(text.charAt(i + 1));
                i += 2;
                continue;
            }
            appendChar(b, c);
            i++;
        }
    }

    private static void appendChar(StringBuilder b, char c) {
        switch (c) {
            case '\\' -> b.append("\\\\");
            case '"' -> b.append("\\\"");
            case '\n', '\r', '\u2028', '\u2029' -> b.append("\\n");
            case '\t' -> b.append(' ');
            case '&' -> b.append("&amp;");
            case '<' -> b.append("&lt;");
            case '=' -> b.append("&#61;");
            default -> {
                if (Character.isSurrogate(c) || Character.getType(c) == Character.CONTROL) {
                    b.append('\uFFFD');
                } else if (BidiControls.is(c)) {
                    b.append("[U+").append(hex4(c)).append(']');
                } else {
                    b.append(c);
                }
            }
        }
    }

    private static String hex4(char c) {
        String h = Integer.toHexString(c).toUpperCase(java.util.Locale.ROOT);
        return "0".repeat(4 - h.length()) + h;
    }
}
