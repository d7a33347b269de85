package pdagc.verify;

import java.util.ArrayList;
import java.util.List;

/**
 * Tokens grouped by expert, as dispatch makes them: for each expert this GPU holds (from
 * {@code firstExpert}), the entries routed to it. Bucket sizes depend on the routing, so they are
 * not dense; the IR's shapes give their balanced expectation.
 *
 * <p>An expert's entries are in the order a dense bucket of the plan holds them: a collective that
 * concatenates entries puts the members' blocks side by side in member order, and records on each
 * entry which block it lies in ({@link Place}); a split of the entries (a slice, a reduce-scatter,
 * an all-to-all out of them) gives member {@code me} of {@code n} the {@code me}-th of n equal
 * parts of that concatenation, read from the places, as a dense slice would. Each part of a
 * concatenation stands for an equal share of the balanced bucket, however many tokens the routing
 * put in it, so the entries a rank holds, and their order, are those of the plan's dense layout.
 */
final class Buckets implements Value {
    /** A concatenation of entries over {@code axes} put this entry in block {@code index} of {@code ways}. */
    record Place(String axes, int index, int ways) {}

    /** One routed copy of a token: its global id, which of its top-k slots, its places (outermost last), its vector. */
    record Entry(long token, int slot, List<Place> places, double[] vector) {
        Entry with(double[] v) {
            return new Entry(token, slot, places, v);
        }

        /** This entry in block {@code index} of {@code ways} of a concatenation over {@code axes}. */
        Entry placed(String axes, int index, int ways) {
            List<Place> p = new ArrayList<>(places);
            p.add(new Place(axes, index, ways));
            return new Entry(token, slot, List.copyOf(p), vector);
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

    /**
     * Part {@code me} of {@code n} of one expert's entries, as a dense bucket splits: the
     * outermost concatenation's blocks are taken whole (n of r blocks: r / n each) or split further
     * (r of n: part {@code me} lies in block {@code me / (n / r)}, and the rest of the split goes to
     * the concatenation inside it); entries that no concatenation placed (a dispatch's own) are cut
     * into n contiguous runs. Concatenating the n parts in order gives the entries back.
     */
    static List<Entry> part(List<Entry> bucket, int n, int me) {
        List<Entry> kept = new ArrayList<>();
        List<Entry> unplaced = new ArrayList<>();
        int ways = n;
        int index = me;
        for (Entry entry : bucket) {
            List<Place> p = new ArrayList<>(entry.places());
            int w = n;
            int i = me;
            boolean in = true;
            while (w > 1 && !p.isEmpty()) {
                Place outer = p.get(p.size() - 1);
                int r = outer.ways();
                if (r % w == 0) {
                    int per = r / w;
                    in = outer.index() / per == i;
                    if (per == 1) p.remove(p.size() - 1);
                    else p.set(p.size() - 1, new Place(outer.axes(), outer.index() % per, per));
                    w = 1;
                } else if (w % r == 0) {
                    w /= r;
                    in = outer.index() == i / w;
                    i %= w;
                    p.remove(p.size() - 1);
                    if (!in) break;
                } else {
                    throw new Kernels.EvalError("dispatched tokens gathered in " + r + " blocks over " + outer.axes() + " are split " + n
                            + " ways, which does not follow their blocks");
                }
            }
            if (!in) continue;
            Entry e = new Entry(entry.token(), entry.slot(), List.copyOf(p), entry.vector());
            if (w == 1) {
                kept.add(e);
            } else {
                unplaced.add(e);
                ways = w;
                index = i;
            }
        }
        // Entries with no place left: every entry of the bucket walked the same blocks, so these
        // are the bucket's (they and the kept ones never mix), in dispatch order.
        int m = unplaced.size();
        for (int k = 0; k < m; k++) if ((long) k * ways / m == index) kept.add(unplaced.get(k));
        return kept;
    }

    @Override
    public String describe() {
        int n = 0;
        for (List<Entry> b : experts) n += b.size();
        return "buckets of experts " + firstExpert + ".." + (firstExpert + experts.size() - 1) + " (" + n + " entries)";
    }
}
