package pdagc.ast;

import java.util.List;
import pdagc.source.Span;

/** A dotted name such as {@code std.blocks.moe_layer}. */
public record QualifiedName(Span span, List<String> parts) {
    public String text() {
        return String.join(".", parts);
    }

    public String last() {
        return parts.get(parts.size() - 1);
    }

    public boolean isSimple() {
        return parts.size() == 1;
    }

    @Override
    public String toString() {
        return text();
    }
}
