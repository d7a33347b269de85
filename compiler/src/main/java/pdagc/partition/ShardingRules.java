package pdagc.partition;

import java.util.ArrayList;
import java.util.List;
import pdagc.ir.Node;
import pdagc.ir.Op;
import pdagc.ir.Parallel;
import pdagc.mesh.Sharding;

/**
 * The per-operation sharding rules: given how an op's inputs arrive and its annotations, the
 * shardings it requires of its inputs and the sharding of its output. Collectives are never
 * chosen here; they follow wherever a requirement differs from what the producer gives.
 */
final class ShardingRules {
    private final MeshContext mesh;

    ShardingRules(MeshContext mesh) {
        this.mesh = mesh;
    }

    /** Required input shardings and the output sharding of one node. */
    record Decision(List<Sharding> required, Sharding output) {}

    Decision decide(Node n, List<Sharding> in) {
        Op op = n.op();
        if (op instanceof Op.Input) {
            Sharding tokens = Sharding.replicated(2).withDim(0, mesh.batchAxes());
            return new Decision(List.of(), tokens);
        }
        if (op instanceof Op.Output) {
            Sharding x = in.get(0);
            Sharding need = Sharding.replicated(x.rank()).withDim(0, x.axes(0)).withDim(1, x.axes(1));
            return same(need);
        }
        if (op instanceof Op.Embed) {
            String v = axis(n, Parallel.Style.VOCAB);
            Sharding tokens = in.get(0).noPartial();
            Sharding out = Sharding.replicated(3).withDim(0, tokens.axes(0)).withDim(1, tokens.axes(1));
            return new Decision(List.of(tokens), v == null ? out : out.withPartial(List.of(v)));
        }
        if (op instanceof Op.Linear) return linear(n, in.get(0));
        if (op instanceof Op.Norm) {
            // Normed over the whole width; @column(a) keeps only this rank's columns of the result.
            Sharding need = lastUnsplit(in.get(0));
            String col = axis(n, Parallel.Style.COLUMN);
            return new Decision(List.of(need), col == null ? need : need.withDim(need.rank() - 1, List.of(col)));
        }
        if (op instanceof Op.Softmax || op instanceof Op.Router) {
            return same(lastUnsplit(in.get(0)));
        }
        if (op instanceof Op.Unary) return same(in.get(0).noPartial());
        if (op instanceof Op.Binary b) return binary(b, in.get(0), in.get(1));
        if (op instanceof Op.LastToken) {
            Sharding need = in.get(0).withDim(1, List.of());
            return new Decision(List.of(need), need);
        }
        if (op instanceof Op.AttnScores a) {
            Sharding q = in.get(0).noPartial().withDim(1, List.of());
            List<String> heads = q.axes(2);
            Sharding out = Sharding.replicated(4).withDim(0, q.axes(0)).withDim(1, heads);
            return new Decision(List.of(q, keysValues(q.axes(0), heads, a.kvHeads())), out);
        }
        if (op instanceof Op.AttnContext a) {
            Sharding probs = in.get(0).noPartial().withDim(3, List.of());
            Sharding out = Sharding.replicated(3).withDim(0, probs.axes(0)).withDim(2, probs.axes(1));
            return new Decision(List.of(probs, keysValues(probs.axes(0), probs.axes(1), a.kvHeads())), out);
        }
        if (op instanceof Op.Dispatch) {
            Sharding x = lastUnsplit(in.get(0));
            Sharding route = Sharding.replicated(3).withDim(0, x.axes(0)).withDim(1, x.axes(1));
            Sharding out = Sharding.replicated(3).withDim(1, tokenAxes(x));
            return new Decision(List.of(x, route), out);
        }
        if (op instanceof Op.ExpertLinear) return expertLinear(n, in.get(0));
        if (op instanceof Op.Combine) {
            Sharding route = in.get(1).noPartial();
            Sharding y = Sharding.replicated(3).withDim(1, tokenAxes(route));
            Sharding out = Sharding.replicated(3).withDim(0, route.axes(0)).withDim(1, route.axes(1));
            return new Decision(List.of(y, route), out);
        }
        if (op instanceof Op.Bias) return same(in.get(0).noPartial());
        if (op instanceof Op.HeadNorm h) return same(headNorm(h, in.get(0)));
        if (op instanceof Op.Scale) return scale(in.get(0), in.get(1));
        if (op instanceof Op.TiedHead) {
            Sharding need = lastUnsplit(in.get(0));
            String col = axis(n, Parallel.Style.COLUMN);
            return new Decision(List.of(need), col == null ? need : need.withDim(need.rank() - 1, List.of(col)));
        }
        if (op instanceof Op.PosEmbed) {
            Sharding tokens = in.get(0).noPartial();
            return new Decision(List.of(tokens), Sharding.replicated(3).withDim(0, tokens.axes(0)).withDim(1, tokens.axes(1)));
        }
        if (op instanceof Op.MlaScores m) return mlaScores(m, in.get(0));
        if (op instanceof Op.MlaContext) {
            Sharding probs = in.get(0).noPartial().withDim(3, List.of());
            Sharding latent = Sharding.replicated(3).withDim(0, probs.axes(0));
            Sharding out = Sharding.replicated(3).withDim(0, probs.axes(0)).withDim(2, probs.axes(1));
            return new Decision(List.of(probs, latent), out);
        }
        if (op instanceof Op.Collective || op instanceof Op.Slice) {
            throw new IllegalStateException("partitioner ops cannot appear in the logical IR: " + op.name());
        }
        throw new IllegalStateException("no sharding rule for " + op.name());
    }

    private Decision linear(Node n, Sharding x) {
        int last = x.rank() - 1;
        String col = axis(n, Parallel.Style.COLUMN);
        String row = axis(n, Parallel.Style.ROW);
        if (row != null) {
            Sharding need = x.noPartial().withDim(last, List.of(row));
            return new Decision(List.of(need), need.withDim(last, List.of()).withPartial(List.of(row)));
        }
        Sharding need = lastUnsplit(x);
        long groups = ((Op.Linear) n.op()).groups();
        boolean replicate = col != null && groups > 0 && groups % mesh.mesh().size(col) != 0;
        return new Decision(List.of(need), col == null || replicate ? need : need.withDim(last, List.of(col)));
    }

    private Decision expertLinear(Node n, Sharding x) {
        String e = axis(n, Parallel.Style.EXPERTS);
        List<String> tokens = x.axes(1);
        List<String> experts = new ArrayList<>();
        if (e != null) {
            experts.add(e);
            tokens = mesh.without(tokens, e);
        }
        String col = axis(n, Parallel.Style.COLUMN);
        String row = axis(n, Parallel.Style.ROW);
        Sharding base = Sharding.replicated(3).withDim(0, experts).withDim(1, tokens);
        if (row != null) {
            Sharding need = base.withDim(2, List.of(row));
            return new Decision(List.of(need), base.withPartial(List.of(row)));
        }
        return new Decision(List.of(base), col == null ? base : base.withDim(2, List.of(col)));
    }

    private Decision binary(Op.Binary b, Sharding x, Sharding y) {
        Sharding target;
        if (!x.isPartial()) target = x;
        else if (!y.isPartial()) target = y;
        else target = x.noPartial();
        return new Decision(List.of(target, target), target);
    }

    /**
     * Keys and values for queries whose heads are split over {@code heads}: split the same way
     * when those axes divide the key/value heads (each rank holds the groups of its queries),
     * replicated otherwise (GQA/MQA with fewer key/value heads than ranks).
     */
    private Sharding keysValues(List<String> batch, List<String> heads, long kvHeads) {
        boolean split = kvHeads % mesh.mesh().size(heads) == 0;
        return Sharding.replicated(3).withDim(0, batch).withDim(2, split ? heads : List.of());
    }

    /** A per-head norm keeps its input's split when the split falls between whole heads; otherwise it needs the width whole. */
    private Sharding headNorm(Op.HeadNorm h, Sharding x) {
        Sharding need = x.noPartial();
        List<String> split = need.axes(need.rank() - 1);
        long heads = h.width() / h.headDim();
        return split.isEmpty() || heads % mesh.mesh().size(split) == 0 ? need : lastUnsplit(need);
    }

    /**
     * A row gate scales its rows, which is linear: the rows keep their sharding, partial sums
     * included; the gate must be whole on every rank that holds a row.
     */
    private Decision scale(Sharding y, Sharding gate) {
        Sharding g = Sharding.replicated(y.rank());
        for (int d = 0; d < y.rank() - 1; d++) g = g.withDim(d, y.axes(d));
        return new Decision(List.of(y, g), y);
    }

    /**
     * Latent attention splits heads the way its queries arrive (column-parallel by whole heads);
     * the latent and the shared rope key are read whole by every rank (like one key/value head of
     * MQA), and W_UK is split with the heads.
     */
    private Decision mlaScores(Op.MlaScores m, Sharding qNope) {
        Sharding q = qNope.noPartial().withDim(1, List.of());
        List<String> heads = q.axes(2);
        if (!heads.isEmpty() && m.heads() % mesh.mesh().size(heads) != 0) {
            q = q.withDim(2, List.of());
            heads = List.of();
        }
        Sharding qRope = Sharding.replicated(3).withDim(0, q.axes(0)).withDim(2, heads);
        Sharding latent = Sharding.replicated(3).withDim(0, q.axes(0));
        Sharding out = Sharding.replicated(4).withDim(0, q.axes(0)).withDim(1, heads);
        return new Decision(List.of(q, qRope, latent, latent), out);
    }

    private List<String> tokenAxes(Sharding tokens) {
        List<String> all = new ArrayList<>(tokens.axes(0));
        all.addAll(tokens.axes(1));
        return mesh.ordered(all);
    }

    private static Sharding lastUnsplit(Sharding x) {
        return x.noPartial().withDim(x.rank() - 1, List.of());
    }

    private static Decision same(Sharding s) {
        return new Decision(List.of(s), s);
    }

    private String axis(Node n, Parallel.Style style) {
        Parallel p = n.parallel(style);
        return p == null ? null : mesh.resolve(p.axis());
    }
}
