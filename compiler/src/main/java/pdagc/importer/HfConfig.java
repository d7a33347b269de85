package pdagc.importer;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import pdagc.diag.Diags;
import pdagc.diag.Diagnostics;
import pdagc.source.SourceFile;
import pdagc.source.Span;

/**
 * A Hugging Face {@code config.json}, read so that every problem can point at its text: the
 * parsed values, and for every top-level field the span of its name and of its value. Getters
 * report a missing field, or one of the wrong type, as a diagnostic naming the field, and return
 * null; the caller keeps going so that one run reports every problem of the file.
 */
final class HfConfig {
    /** The name of the object that holds a multimodal config's language model. */
    static final String TEXT_CONFIG = "text_config";

    private final SourceFile file;
    private final JsonNode root;
    /** Where the object opens: absent fields are reported there. */
    private final int brace;
    private final Fields fields;
    private final Diagnostics diagnostics;
    private String modelType;

    /** The spans of an object's field names and values, and those of its text_config object, if any. */
    private static final class Fields {
        final Map<String, Span> keys = new HashMap<>();
        final Map<String, Span> values = new HashMap<>();
        /** The text_config object's fields and where it opens; null when there is none. */
        Fields text;
        int textBrace;
    }

    private HfConfig(SourceFile file, JsonNode root, int brace, Fields fields, Diagnostics diagnostics) {
        this.file = file;
        this.root = root;
        this.brace = brace;
        this.fields = fields;
        this.diagnostics = diagnostics;
    }

    /**
     * The language model of a multimodal config (its {@code text_config} object), read like a
     * config of its own: its fields' spans point into the same file.
     */
    Optional<HfConfig> textConfig() {
        JsonNode text = root.get(TEXT_CONFIG);
        if (text == null || !text.isObject() || fields.text == null) return Optional.empty();
        return Optional.of(new HfConfig(file, text, fields.textBrace, fields.text, diagnostics));
    }

    /** Parses the text; a file that is not one JSON object is a diagnostic at the place it goes wrong. */
    static Optional<HfConfig> parse(SourceFile file, Diagnostics diagnostics) {
        // Python's json module writes Infinity and NaN (Nemotron-H's time_step_limit), and transformers reads them back.
        JsonFactory factory = JsonFactory.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();
        Fields fields = new Fields();
        int brace;
        try (JsonParser p = factory.createParser(file.text())) {
            JsonToken first = p.nextToken();
            if (first != JsonToken.START_OBJECT) {
                int at = first == null ? file.text().length() : offset(p.currentTokenLocation());
                String found = first == null ? "an empty file" : "a JSON " + describe(first);
                diagnostics.add(Diags.configNotAnObject(new Span(file, at, Math.min(at + 1, file.text().length())), file.displayName(), found));
                return Optional.empty();
            }
            brace = offset(p.currentTokenLocation());
            readFields(p, file, fields, true, diagnostics);
            if (p.nextToken() != null) throw new com.fasterxml.jackson.core.JsonParseException(p, "content after the closing `}`");
        } catch (JsonProcessingException e) {
            int at = e.getLocation() == null ? 0 : Math.max(0, Math.min(offset(e.getLocation()), file.text().length()));
            diagnostics.add(Diags.configNotJson(new Span(file, at, Math.min(at + 1, file.text().length())), file.displayName(),
                    e.getOriginalMessage().lines().findFirst().orElse("invalid JSON")));
            return Optional.empty();
        } catch (IOException e) {
            diagnostics.add(Diags.configUnreadable(new Span(file, 0, 0), file.displayName(), e.getMessage()));
            return Optional.empty();
        }
        JsonNode root;
        try {
            root = new ObjectMapper(factory).readTree(file.text());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the streaming pass accepted what the tree reader refuses: " + e.getOriginalMessage(), e);
        }
        return Optional.of(new HfConfig(file, root, brace, fields, diagnostics));
    }

    /**
     * Reads an object's fields up to its closing brace, recording the spans of each name and
     * value; a field given twice is a diagnostic. At the top level, a text_config object is read
     * the same way into its own spans.
     */
    private static void readFields(JsonParser p, SourceFile file, Fields fields, boolean top, Diagnostics diagnostics) throws IOException {
        for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
            String name = p.currentName();
            int keyStart = offset(p.currentTokenLocation());
            int keyEnd = Math.min(file.text().length(), keyStart + name.length() + 2);
            JsonToken value = p.nextToken();
            int valueStart = offset(p.currentTokenLocation());
            if (top && name.equals(TEXT_CONFIG) && value == JsonToken.START_OBJECT && fields.text == null) {
                fields.text = new Fields();
                fields.textBrace = valueStart;
                readFields(p, file, fields.text, false, diagnostics);
            } else {
                if (value.isScalarValue()) p.getText(); // reads the whole token, so that the location after it is its end
                p.skipChildren();
            }
            int valueEnd = Math.max(valueStart + 1, offset(p.currentLocation()));
            Span key = new Span(file, keyStart, keyEnd);
            if (fields.keys.containsKey(name)) {
                diagnostics.add(Diags.configFieldTwice(key, name, fields.keys.get(name)));
            }
            fields.keys.put(name, key);
            fields.values.put(name, new Span(file, valueStart, Math.min(valueEnd, file.text().length())));
        }
    }

    private static int offset(JsonLocation l) {
        return (int) Math.max(0, l.getCharOffset());
    }

    private static String describe(JsonToken t) {
        return switch (t) {
            case START_ARRAY -> "array";
            case VALUE_STRING -> "string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "number";
            case VALUE_TRUE, VALUE_FALSE -> "boolean";
            case VALUE_NULL -> "null";
            default -> "value";
        };
    }

    SourceFile file() {
        return file;
    }

    /** The model_type, once known, for messages about missing fields. */
    void modelType(String type) {
        this.modelType = type;
    }

    /** Present with a value other than null. */
    boolean has(String field) {
        JsonNode n = root.get(field);
        return n != null && !n.isNull();
    }

    /** Present with the value null (Hugging Face's way of saying "none of this"). */
    boolean isNull(String field) {
        JsonNode n = root.get(field);
        return n != null && n.isNull();
    }

    /** The span of a field's value, or of the opening brace when the field is absent. */
    Span at(String field) {
        Span v = fields.values.get(field);
        return v != null ? v : new Span(file, brace, Math.min(brace + 1, file.text().length()));
    }

    /** The span of a field's name, or of the opening brace when the field is absent. */
    Span keyAt(String field) {
        Span k = fields.keys.get(field);
        return k != null ? k : at(field);
    }

    /** The field's value as written in the file (numbers keep their spelling, such as {@code 1e-05}). */
    String raw(String field) {
        Span v = fields.values.get(field);
        return v == null ? null : PdagModel.quote(v.text());
    }

    /** A required whole number of at least {@code min}; null (reported) when missing or not one. */
    Long count(String field, long min) {
        if (!has(field)) {
            missing(field);
            return null;
        }
        return number(field, min);
    }

    /** An optional whole number of at least {@code min}: {@code dflt} when absent or null. */
    Long count(String field, long min, Long dflt) {
        return has(field) ? number(field, min) : dflt;
    }

    private Long number(String field, long min) {
        JsonNode n = root.get(field);
        if (!n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() < min) {
            wrong(field, min == 0 ? "a whole number" : "a whole number of at least " + min);
            return null;
        }
        return n.asLong();
    }

    /** A required boolean; null (reported) when missing or not one. */
    Boolean flag(String field) {
        if (!has(field)) {
            missing(field);
            return null;
        }
        return flag(field, false);
    }

    /** An optional boolean: {@code dflt} when absent or null. */
    Boolean flag(String field, boolean dflt) {
        if (!has(field)) return dflt;
        JsonNode n = root.get(field);
        if (!n.isBoolean()) {
            wrong(field, "true or false");
            return null;
        }
        return n.asBoolean();
    }

    /** A required string; null (reported) when missing or not a string. */
    String text(String field) {
        if (!has(field)) {
            missing(field);
            return null;
        }
        return string(field);
    }

    /** An optional string: {@code dflt} when absent or null. */
    String text(String field, String dflt) {
        return has(field) ? string(field) : dflt;
    }

    private String string(String field) {
        JsonNode n = root.get(field);
        if (!n.isTextual()) {
            wrong(field, "a string");
            return null;
        }
        return n.asText();
    }

    /** The number of elements of an optional list field (0 when absent or null); null (reported) when not a list. */
    Integer listSize(String field) {
        if (!has(field)) return 0;
        JsonNode n = root.get(field);
        if (!n.isArray()) {
            wrong(field, "a list");
            return null;
        }
        return n.size();
    }

    /** An optional list of whole numbers (empty when absent or null); null (reported) when not one. */
    List<Long> numbers(String field) {
        if (!has(field)) return List.of();
        JsonNode n = root.get(field);
        List<Long> out = new java.util.ArrayList<>();
        if (n.isArray()) for (JsonNode e : n) if (e.isIntegralNumber() && e.canConvertToLong()) out.add(e.asLong());
        if (!n.isArray() || out.size() != n.size()) {
            wrong(field, "a list of whole numbers");
            return null;
        }
        return out;
    }

    /** A string field for comments only: its text, or null when absent or not a string (never an error). */
    String note(String field) {
        JsonNode n = root.get(field);
        return n != null && n.isTextual() ? PdagModel.quote(n.asText()) : null;
    }

    /** A string member of an object field, for comments only: its text, or null when absent or not a string (never an error). */
    String note(String field, String member) {
        JsonNode n = root.get(field);
        JsonNode v = n != null && n.isObject() ? n.get(member) : null;
        return v != null && v.isTextual() ? PdagModel.quote(v.asText()) : null;
    }

    /** The first element of an optional list of strings, such as {@code architectures}. */
    String firstText(String field) {
        JsonNode n = root.get(field);
        return n != null && n.isArray() && n.size() > 0 && n.get(0).isTextual() ? PdagModel.quote(n.get(0).asText()) : null;
    }

    void wrong(String field, String expected) {
        diagnostics.add(Diags.configFieldWrong(at(field), field, expected, raw(field)));
    }

    void missing(String field) {
        diagnostics.add(Diags.configFieldMissing(at(field), field, Optional.ofNullable(modelType)));
    }

    /** Two fields that cannot both hold: reported at the second, with the first as context. */
    void contradiction(String first, String second, String why) {
        diagnostics.add(Diags.configContradiction(keyAt(second), why, fields.keys.containsKey(first) ? keyAt(first) : null));
    }

    /** A feature the config asks for that the language or the importer does not express yet. */
    void unsupported(String field, String what, String help) {
        diagnostics.add(Diags.importerUnsupported(keyAt(field), field, what, raw(field), help));
    }

    /**
     * A feature that changes no weight but that pdagc does not model, so that some figures are
     * bounds rather than exact: a warning at the field, with what it changes and from which size on.
     */
    void notModelled(String field, String what, String note) {
        diagnostics.add(Diags.notModelled(keyAt(field), field, what, raw(field), note));
    }

    Diagnostics diagnostics() {
        return diagnostics;
    }
}
