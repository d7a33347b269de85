package pdagc.importer;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code model} declaration an import writes, kept as data until it is rendered: comment lines
 * for the header, and properties in order, each with the config field its value came from. The
 * rendering is a pure function of that data (aligned columns, one property a line), so that the
 * same config always gives the same file, byte for byte.
 *
 * <p>Text from the config (its strings, its raw values, its file name) reaches the output only in
 * comments, and {@link #render} makes every comment inert: line breaks and other control, bidi and
 * separator characters are written as visible escapes (backslash, {@code u}, four hex digits), so no config text can end
 * a comment and become code. The model's name and every property's name and value must be
 * identifiers or numbers; anything else is a bug of the importer, never written.
 */
final class PdagModel {
    /** One property line: {@code name value // source}. */
    record Property(String name, String value, String source) {}

    private final List<String> header = new ArrayList<>();
    private final List<Property> properties = new ArrayList<>();

    void note(String line) {
        header.add(line);
    }

    /** A numeric property; a null value (a field already reported as wrong) is left out. */
    void set(String name, Long value, String source) {
        if (value != null) properties.add(new Property(name, Long.toString(value), source));
    }

    /** A word property (a norm, an activation, a block). */
    void word(String name, String value, String source) {
        if (value != null) properties.add(new Property(name, value, source));
    }

    List<Property> properties() {
        return List.copyOf(properties);
    }

    String render(String modelName) {
        if (!HfImport.isIdentifier(modelName)) throw new IllegalArgumentException("not a model name: " + comment(modelName));
        for (Property p : properties) {
            if (!p.name().matches("[a-z_]+") || !p.value().matches("[A-Za-z_][A-Za-z0-9_]*|[0-9]+")) {
                throw new IllegalStateException("not a property: " + comment(p.name() + " " + p.value()));
            }
        }
        StringBuilder b = new StringBuilder();
        for (String h : header) b.append(h.isEmpty() ? "//" : "// " + comment(h)).append('\n');
        b.append("import std.blocks\n\n");
        b.append("model ").append(modelName).append(" {\n");
        int nameWidth = 0;
        int valueWidth = 0;
        for (Property p : properties) {
            nameWidth = Math.max(nameWidth, p.name().length());
            valueWidth = Math.max(valueWidth, p.value().length());
        }
        for (Property p : properties) {
            String line = "  " + pad(p.name(), nameWidth) + "  " + pad(p.value(), valueWidth) + "  // " + comment(p.source());
            b.append(line.stripTrailing()).append('\n');
        }
        return b.append("}\n").toString();
    }

    /** The longest config text quoted in a comment, in code points; longer text is clipped with "...". */
    static final int QUOTE_LIMIT = 80;

    /**
     * A config value to quote in a comment: clipped to {@link #QUOTE_LIMIT} code points (a config
     * may hold a string of any length); {@link #render} escapes what it holds.
     */
    static String quote(String configText) {
        if (configText == null) return null;
        if (configText.codePointCount(0, configText.length()) <= QUOTE_LIMIT) return configText;
        return configText.substring(0, configText.offsetByCodePoints(0, QUOTE_LIMIT)) + "...";
    }

    /**
     * Comment text that cannot end its comment or look other than it is: every character that
     * breaks or reorders a line (C0 and C1 controls, U+2028, U+2029, the bidi controls) and every
     * other format or unassigned character becomes a visible escape: a backslash, {@code u} and its
     * four hex digits ({@code U} and six beyond the BMP).
     */
    static String comment(String text) {
        StringBuilder b = new StringBuilder(text.length());
        text.codePoints().forEach(c -> {
            int type = Character.getType(c);
            boolean unsafe = Character.isISOControl(c) || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR
                    || type == Character.FORMAT || type == Character.UNASSIGNED || type == Character.SURROGATE || type == Character.PRIVATE_USE;
            if (!unsafe) {
                b.appendCodePoint(c);
            } else if (c <= 0xFFFF) {
                b.append(String.format(java.util.Locale.ROOT, "\\u%04X", c));
            } else {
                b.append(String.format(java.util.Locale.ROOT, "\\U%06X", c));
            }
        });
        return b.toString();
    }

    private static String pad(String s, int width) {
        return s + " ".repeat(Math.max(0, width - s.length()));
    }
}
