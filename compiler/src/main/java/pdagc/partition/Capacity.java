package pdagc.partition;

import java.math.BigInteger;
import java.util.Collection;
import pdagc.ir.Overflow;
import pdagc.ir.Shape;
import pdagc.mesh.Mesh;
import pdagc.mesh.Sharding;

/**
 * What a rank holds of tokens bucketed by expert (a dispatch's output and what the experts make of
 * it), under balanced routing: every rank's tokens send the same number of routed entries to every
 * rank that holds experts, and every expert receives the same number. A dispatch of T tokens with
 * top-k routing makes T·k entries (its global shape {@code [E, C, w]} has C = ceil(T·k/E) slots per
 * expert: the unpartitioned bound, not what ranks hold).
 *
 * <p>A bucketed value split over n0 ranks in its experts dimension and n1 in its entries dimension
 * gives each rank its E/n0 experts' entries from its 1/n1 of the tokens: {@code T·k/(n0·n1)}. That
 * is what the rank's buffer holds and what an all-to-all sends and receives, so every collective on
 * buckets conserves data (an all-to-all between the two dimensions keeps n0·n1; an all-gather or a
 * reduce-scatter over n ranks changes it n-fold). Where a share is not a whole entry (a few decode
 * tokens sliced over many ranks), every rank's share is rounded up to whole entries, the same on
 * every rank: T·k is raised to the least multiple of every n0·n1 the dispatch's buckets take.
 *
 * <p>The local shape is {@code [E/n0, e/(E·n1), w/n2]} (e the entries, raised) when each of the
 * rank's experts gets a whole number e/(E·n1) of them, the block of a balanced grid; otherwise, and in
 * particular in decode where a rank sends less than one token to each expert, it is
 * {@code [e/(n0·n1), 1, w/n2]}: the rank's entries as rows in expert order, as a dropless MoE
 * kernel lays out its buffer.
 */
final class Capacity {
    private Capacity() {}

    /**
     * The routed entries a dispatch's buckets are laid out with: the least multiple of every
     * {@code n0·n1} in {@code shardings} that is at least {@code entries} (tokens times top-k).
     */
    static long entries(long entries, Collection<Sharding> shardings, Mesh mesh) {
        BigInteger l = BigInteger.ONE;
        for (Sharding s : shardings) {
            BigInteger ways = BigInteger.valueOf(ranks(s, mesh));
            l = l.divide(l.gcd(ways)).multiply(ways);
        }
        long step = l.longValueExact();
        return Overflow.mul((entries + step - 1) / step, step);
    }

    /** One rank's shape of a bucketed value with global shape {@code [E, C, w]} whose dispatch makes {@code entries} routed entries. */
    static Shape local(Shape global, Sharding s, long entries, Mesh mesh) {
        long experts = global.dim(0);
        long n0 = mesh.size(s.axes(0));
        long n1 = mesh.size(s.axes(1));
        long width = global.dim(2) / mesh.size(s.axes(2));
        long perExpertRow = Overflow.mul(experts, n1);
        if (entries % perExpertRow == 0) return new Shape(experts / n0, entries / perExpertRow, width);
        return new Shape(entries / ranks(s, mesh), 1, width);
    }

    /** The ranks that split a bucketed value's experts and entries: n0·n1. */
    private static long ranks(Sharding s, Mesh mesh) {
        return Overflow.mul(mesh.size(s.axes(0)), mesh.size(s.axes(1)));
    }
}
