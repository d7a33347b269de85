package pdagc.verify;

import java.util.ArrayList;
import java.util.List;
import pdagc.ir.CollectiveKind;

/**
 * The semantics of every collective, on the members' values in group order (ascending GPU id,
 * which is the order of their coordinates on the group's axes). Dense tensors follow the table of
 * design section 3; dispatched tokens travel to the GPU of their expert and back, in the order a
 * dense bucket of the plan holds them ({@link Buckets}).
 */
final class Collectives {
    private Collectives() {}

    static Value run(CollectiveKind kind, List<String> axes, int dim, int toDim, List<Value> parts, int me) {
        return run(kind, pdagc.ir.Reduction.SUM, axes, dim, toDim, parts, me);
    }

    /** As above, an all-reduce combining the members' values by {@code how} (their sum, or their maximum). */
    static Value run(CollectiveKind kind, pdagc.ir.Reduction how, List<String> axes, int dim, int toDim, List<Value> parts, int me) {
        if (parts.get(0) instanceof Buckets) {
            if (how != pdagc.ir.Reduction.SUM) throw new Kernels.EvalError("an all-reduce " + how.text() + " of dispatched tokens is not defined");
            return buckets(kind, dim, toDim, parts, me);
        }
        List<Tensor> t = new ArrayList<>();
        for (Value v : parts) {
            if (!(v instanceof Tensor x)) throw new Kernels.EvalError("members of one collective hold different kinds of values");
            t.add(x);
        }
        int n = t.size();
        return switch (kind) {
            case ALL_REDUCE -> how == pdagc.ir.Reduction.SUM ? sum(t) : max(t);
            case ALL_GATHER -> Tensor.concat(t, dim);
            case REDUCE_SCATTER -> {
                Tensor s = sum(t);
                int len = s.shape[dim] / n;
                yield s.slice(dim, me * len, len);
            }
            case ALL_TO_ALL -> {
                List<Tensor> received = new ArrayList<>();
                for (Tensor from : t) {
                    int len = from.shape[dim] / n;
                    received.add(from.slice(dim, me * len, len));
                }
                yield Tensor.concat(received, toDim);
            }
            case SEND, RECV -> throw new Kernels.EvalError("point-to-point transfers are not collectives");
        };
    }

    /** The elementwise maximum of the members' values. */
    private static Tensor max(List<Tensor> t) {
        Tensor m = Tensor.zeros(t.get(0).shape);
        System.arraycopy(t.get(0).data, 0, m.data, 0, m.data.length);
        for (int i = 1; i < t.size(); i++) {
            if (t.get(i).data.length != m.data.length) throw new Kernels.EvalError("all-reduce of shards of different sizes");
            for (int k = 0; k < m.data.length; k++) m.data[k] = Math.max(m.data[k], t.get(i).data[k]);
        }
        return m;
    }

    private static Tensor sum(List<Tensor> t) {
        Tensor s = t.get(0);
        for (int i = 1; i < t.size(); i++) {
            if (t.get(i).data.length != s.data.length) throw new Kernels.EvalError("all-reduce of shards of different sizes");
            s = s.plus(t.get(i));
        }
        return s;
    }

    private static Buckets buckets(CollectiveKind kind, int dim, int toDim, List<Value> parts, int me) {
        List<Buckets> b = new ArrayList<>();
        for (Value v : parts) {
            if (!(v instanceof Buckets x)) throw new Kernels.EvalError("members of one collective hold different kinds of values");
            b.add(x);
        }
        int n = b.size();
        if (kind == CollectiveKind.ALL_REDUCE) return reduce(b);
        if (kind == CollectiveKind.REDUCE_SCATTER) return slice(reduce(b), dim, n, me);
        if (kind == CollectiveKind.ALL_GATHER) return gather(b, dim);
        if (kind != CollectiveKind.ALL_TO_ALL) throw new Kernels.EvalError(kind.opName() + " of dispatched tokens is not defined");
        if (dim == 2 && toDim == 1) {
            // Each member's columns of my block, its entries placed in member order.
            List<List<Buckets.Entry>> mine = new ArrayList<>();
            for (int e = 0; e < b.get(0).experts.size(); e++) {
                List<Buckets.Entry> bucket = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    for (Buckets.Entry entry : b.get(i).experts.get(e)) bucket.add(columns(entry, n, me).in(i, n));
                }
                mine.add(bucket);
            }
            return new Buckets(b.get(0).firstExpert, mine);
        }
        if (dim == 1 && toDim == 2) {
            // Each member's part of its entries for me, their columns side by side in member order.
            List<Buckets> blocks = new ArrayList<>();
            for (Buckets from : b) blocks.add(slice(from, 1, n, me));
            return widen(blocks);
        }
        if (dim == 0 && toDim == 2) {
            // My block of experts from each member, their columns side by side in member order.
            List<Buckets> blocks = new ArrayList<>();
            for (Buckets from : b) blocks.add(slice(from, 0, n, me));
            return widen(blocks);
        }
        if (dim == 2 && toDim == 0) {
            // My columns of each member's experts, the experts concatenated in member order.
            List<List<Buckets.Entry>> mine = new ArrayList<>();
            for (Buckets from : b) mine.addAll(slice(from, 2, n, me).experts);
            return new Buckets(b.get(0).firstExpert, mine);
        }
        if (dim != 0 && !(dim == 1 && toDim == 0)) {
            throw new Kernels.EvalError("all-to-all of dispatched tokens from dimension " + toDim + " to " + dim + " is not defined");
        }
        if (dim == 0) {
            // To the experts: sender i's buckets for my block of experts, placed in sender order.
            int per = b.get(0).experts.size() / n;
            List<List<Buckets.Entry>> mine = new ArrayList<>();
            for (int e = 0; e < per; e++) mine.add(new ArrayList<>());
            for (int i = 0; i < n; i++) {
                for (int e = 0; e < per; e++) {
                    for (Buckets.Entry entry : b.get(i).experts.get(me * per + e)) mine.get(e).add(entry.in(i, n));
                }
            }
            return new Buckets(b.get(0).firstExpert + me * per, mine);
        }
        // Back from the experts: every sender's part of its entries for me, experts in sender order.
        List<List<Buckets.Entry>> mine = new ArrayList<>();
        int first = Integer.MAX_VALUE;
        for (Buckets from : b) {
            first = Math.min(first, from.firstExpert);
            mine.addAll(slice(from, 1, n, me).experts);
        }
        return new Buckets(first, mine);
    }

    /** Block {@code me} of {@code n} of an entry's vector (its columns). */
    private static Buckets.Entry columns(Buckets.Entry entry, int n, int me) {
        int len = entry.vector().length / n;
        return entry.with(java.util.Arrays.copyOfRange(entry.vector(), me * len, (me + 1) * len));
    }

    /** The members' entries, which must be the same tokens in the same order, with their vectors concatenated in member order. */
    private static Buckets widen(List<Buckets> b) {
        return aligned(b, "concatenation", parts -> {
            int width = 0;
            for (Buckets.Entry p : parts) width += p.vector().length;
            double[] v = new double[width];
            int at = 0;
            for (Buckets.Entry p : parts) {
                System.arraycopy(p.vector(), 0, v, at, p.vector().length);
                at += p.vector().length;
            }
            return v;
        });
    }

    /**
     * The members' entries matched one to one (the same tokens and slots, in the same order, for
     * each expert), each replaced by the vector {@code combine} makes of the members' vectors.
     */
    private static Buckets aligned(List<Buckets> b, String what, java.util.function.Function<List<Buckets.Entry>, double[]> combine) {
        Buckets first = b.get(0);
        List<List<Buckets.Entry>> out = new ArrayList<>();
        for (int e = 0; e < first.experts.size(); e++) {
            List<Buckets.Entry> bucket = new ArrayList<>();
            for (int k = 0; k < first.experts.get(e).size(); k++) {
                Buckets.Entry entry = first.experts.get(e).get(k);
                List<Buckets.Entry> parts = new ArrayList<>();
                for (Buckets x : b) {
                    if (x.experts.size() != first.experts.size() || x.experts.get(e).size() != first.experts.get(e).size()) {
                        throw new Kernels.EvalError(what + " members hold different numbers of dispatched tokens");
                    }
                    Buckets.Entry other = x.experts.get(e).get(k);
                    if (other.token() != entry.token() || other.slot() != entry.slot()) throw new Kernels.EvalError(what + " members hold different tokens");
                    parts.add(other);
                }
                bucket.add(entry.with(combine.apply(parts)));
            }
            out.add(bucket);
        }
        return new Buckets(first.firstExpert, out);
    }

    /** Experts (dim 0) concatenated in member order; each expert's entries (dim 1), placed in member order; or their columns (dim 2). */
    private static Buckets gather(List<Buckets> b, int dim) {
        if (dim == 2) return widen(b);
        List<List<Buckets.Entry>> out = new ArrayList<>();
        if (dim == 0) {
            for (Buckets from : b) out.addAll(from.experts);
            return new Buckets(b.get(0).firstExpert, out);
        }
        for (int e = 0; e < b.get(0).experts.size(); e++) {
            List<Buckets.Entry> bucket = new ArrayList<>();
            for (int i = 0; i < b.size(); i++) for (Buckets.Entry entry : b.get(i).experts.get(e)) bucket.add(entry.in(i, b.size()));
            out.add(bucket);
        }
        return new Buckets(b.get(0).firstExpert, out);
    }

    /** A rank's block {@code index} of {@code ways} of dimension {@code dim}: of a dense tensor, or of dispatched tokens. */
    static Value slice(Value in, List<String> axes, int dim, int ways, int index) {
        if (in instanceof Buckets b) return slice(b, dim, ways, index);
        Tensor t = (Tensor) in;
        int len = t.shape[dim] / ways;
        return t.slice(dim, index * len, len);
    }

    /**
     * A rank's part of dispatched tokens over a group of n: block {@code me} of the experts (dim 0),
     * of each expert's entries (dim 1, as {@link Buckets#part} reads their places), or of their
     * columns (dim 2).
     */
    static Buckets slice(Buckets in, int dim, int n, int me) {
        if (dim == 2) {
            List<List<Buckets.Entry>> out = new ArrayList<>();
            for (List<Buckets.Entry> bucket : in.experts) {
                List<Buckets.Entry> kept = new ArrayList<>();
                for (Buckets.Entry entry : bucket) kept.add(columns(entry, n, me));
                out.add(kept);
            }
            return new Buckets(in.firstExpert, out);
        }
        if (dim == 0) {
            int per = in.experts.size() / n;
            return new Buckets(in.firstExpert + me * per, new ArrayList<>(in.experts.subList(me * per, (me + 1) * per)));
        }
        List<List<Buckets.Entry>> out = new ArrayList<>();
        for (List<Buckets.Entry> bucket : in.experts) out.add(Buckets.part(bucket, n, me));
        return new Buckets(in.firstExpert, out);
    }

    private static Buckets reduce(List<Buckets> b) {
        return aligned(b, "all-reduce", parts -> {
            double[] v = parts.get(0).vector().clone();
            for (int i = 1; i < parts.size(); i++) {
                double[] o = parts.get(i).vector();
                if (o.length != v.length) throw new Kernels.EvalError("all-reduce members hold vectors of different widths");
                for (int j = 0; j < v.length; j++) v[j] += o[j];
            }
            return v;
        });
    }
}
