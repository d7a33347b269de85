package pdagc.verify;

import java.util.ArrayList;
import java.util.List;

/**
 * Tokens grouped by expert, as dispatch makes them: for each expert this GPU holds (from
 * {@code firstExpert}), the entries routed to it. Bucket sizes depend on the routing, so they are
 * not dense; the IR's shapes give their balanced expectation.
 */
final class Buckets implements Value {
    /** One routed copy of a token: its global id, which of its top-k slots, where it came from, its vector. */
    record Entry(long token, int slot, List<Integer> origins, double[] vector) {
        Entry with(double[] v) {
            return new Entry(token, slot, origins, v);
        }

        Entry from(int sender) {
            List<Integer> o = new ArrayList<>(origins);
            o.add(sender);
            return new Entry(token, slot, List.copyOf(o), vector);
        }

        Entry popOrigin() {
            return new Entry(token, slot, List.copyOf(origins.subList(0, origins.size() - 1)), vector);
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
