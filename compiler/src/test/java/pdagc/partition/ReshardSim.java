package pdagc.partition;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import pdagc.ir.Op;
import pdagc.mesh.Mesh;
import pdagc.mesh.Sharding;

/**
 * A small simulator of resharding steps on concrete data, independent of the planner: every rank
 * holds its block of a global tensor of distinct integers, placed by the layout the verifier uses
 * ({@code pdagc.verify.Layout}: a dimension split over axes a, b (major to minor) holds block
 * {@code coord(a) * size(b) + coord(b)}); a partial sum over axes P is spread over the ranks of
 * each P group as integer contributions that sum to the value (each member's is different, so a
 * reduction over the wrong members, or none, shows). Collectives follow {@code
 * pdagc.verify.Collectives}: a group is the ranks that differ only in the op's axes, in
 * ascending rank order.
 */
final class ReshardSim {
    private ReshardSim() {}

    /** A dense row-major tensor of longs. */
    record T(int[] shape, long[] data) {
        static int size(int[] shape) {
            int n = 1;
            for (int d : shape) n *= d;
            return n;
        }

        int inner(int dim) {
            int n = 1;
            for (int i = dim + 1; i < shape.length; i++) n *= shape[i];
            return n;
        }

        int outer(int dim) {
            int n = 1;
            for (int i = 0; i < dim; i++) n *= shape[i];
            return n;
        }

        T slice(int dim, int offset, int len) {
            if (shape[dim] % len != 0 || offset + len > shape[dim]) throw new IllegalStateException("bad slice of " + Arrays.toString(shape));
            int[] s = shape.clone();
            s[dim] = len;
            long[] out = new long[size(s)];
            int inner = inner(dim);
            for (int o = 0; o < outer(dim); o++) {
                System.arraycopy(data, (o * shape[dim] + offset) * inner, out, o * len * inner, len * inner);
            }
            return new T(s, out);
        }

        static T concat(List<T> parts, int dim) {
            T first = parts.get(0);
            int[] s = first.shape.clone();
            int total = 0;
            for (T p : parts) total += p.shape[dim];
            s[dim] = total;
            long[] out = new long[size(s)];
            int inner = first.inner(dim);
            int at = 0;
            for (T p : parts) {
                int len = p.shape[dim];
                for (int o = 0; o < first.outer(dim); o++) System.arraycopy(p.data, o * len * inner, out, (o * total + at) * inner, len * inner);
                at += len;
            }
            return new T(s, out);
        }

        T plus(T other) {
            if (!Arrays.equals(shape, other.shape)) throw new IllegalStateException("sum of " + Arrays.toString(shape) + " and " + Arrays.toString(other.shape));
            long[] out = data.clone();
            for (int i = 0; i < out.length; i++) out[i] += other.data[i];
            return new T(shape, out);
        }

        boolean same(T o) {
            return Arrays.equals(shape, o.shape) && Arrays.equals(data, o.data);
        }

        @Override
        public String toString() {
            return Arrays.toString(shape) + Arrays.toString(Arrays.copyOf(data, Math.min(12, data.length))) + (data.length > 12 ? "..." : "");
        }
    }

    /** The global tensor 1, 2, 3, ... (distinct, non-zero). */
    static T global(int... shape) {
        long[] d = new long[T.size(shape)];
        for (int i = 0; i < d.length; i++) d[i] = i + 1;
        return new T(shape.clone(), d);
    }

    /** The block a rank holds of a dimension split over {@code axes} (major to minor), as the verifier's Layout. */
    static int block(List<String> axes, Mesh mesh, int rank) {
        int b = 0;
        for (String a : axes) b = b * mesh.size(a) + mesh.coord(rank, a);
        return b;
    }

    static T shard(T global, Sharding s, Mesh mesh, int rank) {
        T t = global;
        for (int d = 0; d < s.rank(); d++) {
            if (s.axes(d).isEmpty()) continue;
            int len = global.shape[d] / mesh.size(s.axes(d));
            t = t.slice(d, block(s.axes(d), mesh, rank) * len, len);
        }
        return t;
    }

    /** Every rank's block of {@code global} under {@code s}, partial sums spread over their groups. */
    static T[] place(T global, Sharding s, Mesh mesh, long seed) {
        T[] out = new T[mesh.size()];
        int n = mesh.size(s.partial());
        for (int r = 0; r < out.length; r++) {
            int i = mesh.indexIn(r, s.partial());
            long[] c = new long[global.data.length];
            for (int e = 0; e < c.length; e++) {
                long noise = 0;
                if (i < n - 1) {
                    noise = hash(seed, e, i);
                } else {
                    for (int j = 0; j < n - 1; j++) noise -= hash(seed, e, j);
                }
                c[e] = (i == 0 ? global.data[e] : 0) + noise;
            }
            out[r] = shard(new T(global.shape, c), s, mesh, r);
        }
        return out;
    }

    private static long hash(long seed, int e, int i) {
        long h = seed * 0x9E3779B97F4A7C15L + e * 0xBF58476D1CE4E5B9L + (i + 1) * 0x94D049BB133111EBL;
        h ^= h >>> 31;
        h *= 0xD6E8FEB86659FD39L;
        h ^= h >>> 29;
        return h % 1000;
    }

    /** Runs one step on every rank. */
    static T[] apply(Op op, T[] blocks, Mesh mesh) {
        T[] out = new T[blocks.length];
        for (int r = 0; r < blocks.length; r++) {
            if (op instanceof Op.Slice s) {
                int ways = mesh.size(s.axes());
                int len = blocks[r].shape[s.dim()] / ways;
                out[r] = blocks[r].slice(s.dim(), block(s.axes(), mesh, r) * len, len);
                continue;
            }
            Op.Collective c = (Op.Collective) op;
            List<Integer> group = mesh.group(r, c.axes());
            int me = group.indexOf(r);
            int n = group.size();
            List<T> parts = new ArrayList<>();
            for (int g : group) parts.add(blocks[g]);
            out[r] = switch (c.collective()) {
                case ALL_REDUCE -> sum(parts);
                case ALL_GATHER -> T.concat(parts, c.dim());
                case REDUCE_SCATTER -> {
                    T s = sum(parts);
                    int len = s.shape[c.dim()] / n;
                    yield s.slice(c.dim(), me * len, len);
                }
                case ALL_TO_ALL -> {
                    List<T> received = new ArrayList<>();
                    for (T from : parts) {
                        int len = from.shape[c.dim()] / n;
                        received.add(from.slice(c.dim(), me * len, len));
                    }
                    yield T.concat(received, c.toDim());
                }
                default -> throw new IllegalStateException(c.name());
            };
        }
        return out;
    }

    private static T sum(List<T> parts) {
        T s = parts.get(0);
        for (int i = 1; i < parts.size(); i++) s = s.plus(parts.get(i));
        return s;
    }

    /**
     * Null when every rank's blocks are what {@code s} prescribes (summed over each partial group
     * where {@code s} is a partial sum); otherwise the first rank that differs.
     */
    static String mismatch(T global, Sharding s, Mesh mesh, T[] blocks) {
        for (int r = 0; r < blocks.length; r++) {
            T want = shard(global, s, mesh, r);
            T got;
            try {
                List<T> parts = new ArrayList<>();
                for (int g : mesh.group(r, s.partial())) parts.add(blocks[g]);
                got = sum(parts);
            } catch (IllegalStateException e) {
                return "rank " + r + ": " + e.getMessage();
            }
            if (!got.same(want)) return "rank " + r + " holds " + got + ", " + s + " prescribes " + want;
        }
        return null;
    }
}
