package pdagc.verify;

import java.util.ArrayList;
import java.util.List;

/**
 * Tokens grouped by expert, as dispatch makes them: for each expert this GPU holds (from
 * {@code firstExpert}), the entries routed to it. Bucket sizes depend on the routing, so they are
 * not dense; the IR's shapes give their balanced expectation.
 *
 * <p>An expert's entries are in the order a dense bucket of the plan holds them, and each records
 * where in that bucket it lies ({@link Place}): a collective that concatenates entries puts the
 * members' buckets side by side in member order, each an equal share of the whole however many
 * tokens the routing put in it; a split of the entries (a slice, a reduce-scatter, an all-to-all
 * out of them) gives member {@code me} of {@code n} the entries in the {@code me}-th of n equal
 * parts, as a dense slice would. So the entries a rank holds, and their order, are those of the
 * plan's dense layout, and concatenating the parts of a split gives the entries back in order.
 */
final class Buckets implements Value {
    /**
     * Where an entry lies in its expert's bucket on this GPU, as the exact fraction {@code num / den}
     * of the bucket before it: a dispatch puts its k-th of m entries at k / m.
     */
    record Place(long num, long den) {
        static Place of(long num, long den) {
            long g = gcd(num, den);
            return new Place(num / g, den / g);
        }

        /** The same place in block {@code i} of a concatenation of {@code n}. */
        Place in(int i, int n) {
            return of(Math.addExact(Math.multiplyExact(i, den), num), Math.multiplyExact(n, den));
        }

        /** Which of {@code n} equal parts of the bucket this place lies in. */
        int part(int n) {
            return (int) (Math.multiplyExact(num, n) / den);
        }

        /** The place within part {@code j} of {@code n}. */
        Place within(int n, int j) {
            return of(Math.multiplyExact(num, n) - Math.multiplyExact(j, den), den);
        }

        private static long gcd(long a, long b) {
            return b == 0 ? Math.max(a, 1) : gcd(b, a % b);
        }
    }

    /** One routed copy of a token: its global id, which of its top-k slots, where it lies in its bucket, its vector. */
    record Entry(long token, int slot, Place place, double[] vector) {
        /** Entry {@code k} of {@code m} that a dispatch put in one expert's bucket. */
        static Entry dispatched(long token, int slot, int k, int m, double[] vector) {
            return new Entry(token, slot, Place.of(k, m), vector);
        }

        Entry with(double[] v) {
            return new Entry(token, slot, place, v);
        }

        /** This entry in block {@code i} of a concatenation of {@code n}. */
        Entry in(int i, int n) {
            return new Entry(token, slot, place.in(i, n), vector);
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

    /** Part {@code me} of {@code n} of one expert's entries, in order, each placed within the part. */
    static List<Entry> part(List<Entry> bucket, int n, int me) {
        List<Entry> kept = new ArrayList<>();
        for (Entry e : bucket) {
            if (e.place().part(n) == me) kept.add(new Entry(e.token(), e.slot(), e.place().within(n, me), e.vector()));
        }
        return kept;
    }

    @Override
    public String describe() {
        int n = 0;
        for (List<Entry> b : experts) n += b.size();
        return "buckets of experts " + firstExpert + ".." + (firstExpert + experts.size() - 1) + " (" + n + " entries)";
    }
}
