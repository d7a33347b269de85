package pdagc.importer;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code model} declaration an import writes, kept as data until it is rendered: comment lines
 * for the header, and properties in order, each with the config field its value came from. The
 * rendering is a pure function of that data (aligned columns, one property a line), so that the
 * same config always gives the same file, byte for byte.
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
        StringBuilder b = new StringBuilder();
        for (String h : header) b.append(h.isEmpty() ? "//" : "// " + h).append('\n');
        b.append("import std.blocks\n\n");
        b.append("model ").append(modelName).append(" {\n");
        int nameWidth = 0;
        int valueWidth = 0;
        for (Property p : properties) {
            nameWidth = Math.max(nameWidth, p.name().length());
            valueWidth = Math.max(valueWidth, p.value().length());
        }
        for (Property p : properties) {
            String line = "  " + pad(p.name(), nameWidth) + "  " + pad(p.value(), valueWidth) + "  // " + p.source();
            b.append(line.stripTrailing()).append('\n');
        }
        return b.append("}\n").toString();
    }

    private static String pad(String s, int width) {
        return s + " ".repeat(Math.max(0, width - s.length()));
    }
}
