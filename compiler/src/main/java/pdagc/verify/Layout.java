package pdagc.verify;

import java.util.List;
import pdagc.mesh.Mesh;
import pdagc.mesh.Sharding;

/** Where a rank's shard lies in the global tensor: block index and offset per dimension. */
final class Layout {
    private Layout() {}

    /** The block a rank holds of a dimension split over {@code axes} (major to minor). */
    static int block(List<String> axes, Mesh mesh, int rank) {
        int b = 0;
        for (String a : axes) b = b * mesh.size(a) + mesh.coord(rank, a);
        return b;
    }

    static int offset(Sharding s, int dim, int globalLen, Mesh mesh, int rank) {
        int ways = mesh.size(s.axes(dim));
        return block(s.axes(dim), mesh, rank) * (globalLen / ways);
    }

    /** The rank's shard of a global tensor. */
    static Tensor shard(Tensor global, Sharding s, Mesh mesh, int rank) {
        Tensor t = global;
        for (int d = 0; d < s.rank(); d++) {
            if (s.axes(d).isEmpty()) continue;
            int ways = mesh.size(s.axes(d));
            int len = global.shape[d] / ways;
            t = t.slice(d, block(s.axes(d), mesh, rank) * len, len);
        }
        return t;
    }
}
