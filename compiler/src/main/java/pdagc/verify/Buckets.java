package pdagc.verify;

import java.util.ArrayList;
import java.util.List;

/**
 * Tokens grouped by expert, as dispatch makes them: for each expert this GPU holds (from
 * {@code firstExpert}), the entries routed to it. Bucket sizes depend on the routing, so they are
 * not dense; the IR's shapes give their balanced expectation.
 */
final class Buckets implements Value {
    /**
     * The axes of a collective's group, major to minor, and their sizes; sizes are null where the
     * caller does not know them, and the axes then tag an entry as one. With sizes, an entry that
     * travels over {@code dp+tp} records its sender's coordinate on each axis, so a later slice
     * over {@code dp} alone keeps exactly the entries whose dp coordinate is the rank's.
     */
    record Group(List<String> axes, int[] sizes) {
        String key() {
            return String.join("+", axes);
        }

        boolean perAxis() {
            return sizes != null && axes.size() > 1;
        }
    }

    /** Where an entry came from in one collective: the axes (one, or several joined) and the sender's index over them. */
    record Origin(String axes, int index) {}

    /** One routed copy of a token: its global id, which of its top-k slots, where it came from, its vector. */
    record Entry(long token, int slot, List<Origin> origins, double[] vector) {
        Entry with(double[] v) {
            return new Entry(token, slot, origins, v);
        }

        Entry from(Group g, int sender) {
            List<Origin> o = new ArrayList<>(origins);
            if (g.perAxis()) {
                int[] coord = new int[g.axes().size()];
                int rest = sender;
                for (int j = coord.length - 1; j >= 0; j--) {
                    coord[j] = rest % g.sizes()[j];
                    rest /= g.sizes()[j];
                }
                for (int j = 0; j < coord.length; j++) o.add(new Origin(g.axes().get(j), coord[j]));
            } else {
                o.add(new Origin(g.key(), sender));
            }
            return new Entry(token, slot, List.copyOf(o), vector);
        }

        /** The sender index recorded for these axes (as one tag, or from each axis's coordinate), or -1. */
        int origin(Group g) {
            int at = last(g.key());
            if (at >= 0) return origins.get(at).index();
            if (!g.perAxis()) return -1;
            int index = 0;
            for (int j = 0; j < g.axes().size(); j++) {
                int k = last(g.axes().get(j));
                if (k < 0) return -1;
                index = index * g.sizes()[j] + origins.get(k).index();
            }
            return index;
        }

        Entry without(Group g) {
            List<Origin> o = new ArrayList<>(origins);
            int at = last(g.key());
            if (at >= 0) {
                o.remove(at);
            } else if (g.perAxis()) {
                for (String a : g.axes()) {
                    for (int i = o.size() - 1; i >= 0; i--) {
                        if (o.get(i).axes().equals(a)) {
                            o.remove(i);
                            break;
                        }
                    }
                }
            }
            return new Entry(token, slot, List.copyOf(o), vector);
        }

        private int last(String axes) {
            for (int i = origins.size() - 1; i >= 0; i--) if (origins.get(i).axes().equals(axes)) return i;
            return -1;
        }
    }

    /** The key an entry is matched by across values: its token and its top-k slot. */
    static String key(long token, int slot) {
        return token + "/" + slot;
    }

    static String key(Entry e) {
        return key(e.token(), e.slot());
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
