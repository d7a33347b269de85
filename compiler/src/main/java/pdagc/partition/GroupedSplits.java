package pdagc.partition;

import java.util.List;
import pdagc.ir.Graph;
import pdagc.ir.Node;
import pdagc.ir.Op;
import pdagc.ir.Parallel;
import pdagc.mesh.MeshContext;

/**
 * The factor axes a program's grouped linears need, found before sharding propagation. A linear
 * of {@code groups} whole units (key/value heads) under {@code @column} axes of size t splits its
 * output over the major factor of size gcd(t, groups) of those axes (the GQA rule in
 * {@link ShardingRules}); a sharding names whole factor axes, so where that factor ends inside a
 * factor axis the mesh is cut there. Llama-2-70B's 8 key/value heads under {@code [tp 16]}:
 *
 * <pre>
 *   mesh [tp 16]   %6 = linear[in=8192, out=1024, groups=8] @column(tp)
 *   ==>
 *   factors [tp.0 8, tp.1 2]: the key/value projection splits over tp.0, the queries over tp.0 x tp.1
 * </pre>
 *
 * A mesh whose grouped linears divide (or share nothing with) their column axes is unchanged.
 */
public final class GroupedSplits {
    private GroupedSplits() {}

    public static MeshContext refine(Graph graph, MeshContext mesh) {
        MeshContext out = mesh;
        for (Node n : graph.nodes()) {
            if (!(n.op() instanceof Op.Linear linear) || linear.groups() <= 0) continue;
            Parallel column = n.parallel(Parallel.Style.COLUMN);
            if (column == null) continue;
            List<String> axes = out.resolve(column.axis());
            out = out.splitMajor(axes, linear.groups());
        }
        return out;
    }
}
