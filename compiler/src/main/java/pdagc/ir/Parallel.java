package pdagc.ir;

import pdagc.source.Span;

/**
 * A sharding annotation from a block, {@code @column(tp)}: how an operation's weight is split over
 * a mesh axis. The partitioner derives everything else from these.
 */
public record Parallel(Style style, String axis, Span span) {

    /** The annotation styles. */
    public enum Style {
        /** Weight split on its output dimension: the output's last dimension is split. */
        COLUMN,
        /** Weight split on its input dimension: the input's last dimension must be split; the output is a partial sum. */
        ROW,
        /** Embedding table split on its vocabulary rows: every rank looks up its rows; the output is a partial sum. */
        VOCAB,
        /** Experts split over the axis: an expert's tokens must be on the rank that holds it. */
        EXPERTS;

        public String keyword() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    @Override
    public String toString() {
        return "@" + style.keyword() + "(" + axis + ")";
    }
}
