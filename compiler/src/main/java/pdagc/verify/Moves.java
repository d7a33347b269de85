package pdagc.verify;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import pdagc.ir.Op;
import pdagc.spmd.SpmdNode;
import pdagc.spmd.SpmdProgram;

/**
 * What makes the plan verify runs at tiny shapes the plan check accepted at real ones: the same
 * moves, that is the same kinds of op, collectives over the same axes and dimensions and slices,
 * each with the same sharding (the tiny plan keeps fewer layers and smaller sizes, so counts and
 * shapes differ). Shrinking keeps every divisibility a split needs; this checks that it did, so a
 * proof is never of another plan.
 */
public final class Moves {
    private Moves() {}

    /** Null when {@code tiny} makes {@code real}'s moves; else what differs, a few of each side. */
    public static String differ(SpmdProgram real, SpmdProgram tiny) {
        Set<String> a = of(real);
        Set<String> b = of(tiny);
        if (a.equals(b)) return null;
        TreeSet<String> onlyReal = new TreeSet<>(a);
        onlyReal.removeAll(b);
        TreeSet<String> onlyTiny = new TreeSet<>(b);
        onlyTiny.removeAll(a);
        return "only in the real plan " + first(onlyReal) + ", only in the tiny plan " + first(onlyTiny);
    }

    /** The distinct moves of a program. */
    public static Set<String> of(SpmdProgram p) {
        Set<String> out = new TreeSet<>();
        for (SpmdNode n : p.nodes()) {
            String op = n.op() instanceof Op.Collective c ? c.collective() + " over " + c.axes() + " " + c.dim() + ">" + c.toDim()
                    : n.op() instanceof Op.Slice sl ? "slice over " + sl.axes() + " " + sl.dim() : n.op().name();
            out.add(op + " " + n.sharding());
        }
        return out;
    }

    private static String first(Set<String> s) {
        List<String> l = new ArrayList<>(s);
        return l.size() > 6 ? l.subList(0, 6) + " and " + (l.size() - 6) + " more" : l.toString();
    }
}
