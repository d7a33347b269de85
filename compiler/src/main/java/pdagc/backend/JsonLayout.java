package pdagc.backend;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.MinimalPrettyPrinter;
import java.io.IOException;

/**
 * The plan file's line layout: each top-level field and each element of a top-level array (a GPU,
 * a node, an edge) on its own line, everything inside an element compact. Plans of millions of
 * nodes stay small, and line tools (diff, grep, head) work on them.
 */
final class JsonLayout extends MinimalPrettyPrinter {
    private static final long serialVersionUID = 1L;
    private static final int TOP_OBJECT = 1;
    private static final int TOP_ARRAY = 2;

    JsonLayout() {
        super("\n");
    }

    private static int depth(JsonGenerator g) {
        return g.getOutputContext().getNestingDepth();
    }

    @Override
    public void writeObjectEntrySeparator(JsonGenerator g) throws IOException {
        g.writeRaw(depth(g) == TOP_OBJECT ? ",\n" : ",");
    }

    @Override
    public void beforeArrayValues(JsonGenerator g) throws IOException {
        if (depth(g) == TOP_ARRAY) g.writeRaw('\n');
    }

    @Override
    public void writeArrayValueSeparator(JsonGenerator g) throws IOException {
        g.writeRaw(depth(g) == TOP_ARRAY ? ",\n" : ",");
    }

    @Override
    public void writeEndArray(JsonGenerator g, int values) throws IOException {
        if (values > 0 && depth(g) == TOP_ARRAY) g.writeRaw('\n');
        g.writeRaw(']');
    }

    @Override
    public void writeEndObject(JsonGenerator g, int entries) throws IOException {
        g.writeRaw('}');
    }
}
