package pdagc.verify;

import java.util.ArrayList;
import java.util.List;

/**
 * Tokens grouped by expert, as dispatch makes them: for each expert this GPU holds (from
 * {@code firstExpert}), the entries routed to it. Bucket sizes depend on the routing, so they are
 * not dense; the IR's shapes give their balanced expectation.
 */
final class Buckets implements Value {
    /** Where an entry came from in one collective: the collective's axes and the sender's index in its group. */
    record Origin(String axes, int index) {}

    /** One routed copy of a token: its global id, which of its top-k slots, where it came from, its vector. */
    record Entry(long token, int slot, List<Origin> origins, double[] vector) {
        Entry with(double[] v) {
            return new Entry(token, slot, origins, v);
        }

        Entry from(String axes, int sender) {
            List<Origin> o = new ArrayList<>(origins);
            o.add(new Origin(axes, sender));
            return new Entry(token, slot, List.copyOf(o), vector);
        }

        /** The sender index recorded for these axes, or -1. */
        int origin(String axes) {
            for (int i = origins.size() - 1; i >= 0; i--) if (origins.get(i).axes().equals(axes)) return origins.get(i).index();
            return -1;
        }

        Entry without(String axes) {
            List<Origin> o = new ArrayList<>(origins);
            for (int i = o.size() - 1; i >= 0; i--) {
                if (o.get(i).axes().equals(axes)) {
                    o.remove(i);
                    break;
                }
            }
            return new Entry(token, slot, List.copyOf(o), vector);
        }
    }

    final int firstExpert;
    final List<List<Entry>> experts;

    Buckets(int firstExpert, List<List<Entry>> experts) {
        this.firstExpert = firstExpert;
        this.experts = experts;
    }

    int width() {
        for (List<Entry> b : experts) if (!b.isEmpty()) return b.get(0).vector().length;
        return 0;
    }

    @Override
    public String describe() {
        int n = 0;
        for (List<Entry> b : experts) n += b.size();
        return "buckets of experts " + firstExpert + ".." + (firstExpert + experts.size() - 1) + " (" + n + " entries)";
    }
}
