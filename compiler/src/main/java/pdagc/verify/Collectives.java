package pdagc.verify;

import java.util.ArrayList;
import java.util.List;
import pdagc.ir.CollectiveKind;

/**
 * The semantics of every collective, on the members' values in group order (ascending GPU id,
 * which is the order of their coordinates on the group's axes). Dense tensors follow the table of
 * design section 3; dispatched tokens travel to the GPU of their expert and back to their origin.
 */
final class Collectives {
    private Collectives() {}

    static Value run(CollectiveKind kind, int dim, int toDim, List<Value> parts, int me) {
        if (parts.get(0) instanceof Buckets) return buckets(kind, dim, parts, me);
        List<Tensor> t = new ArrayList<>();
        for (Value v : parts) {
            if (!(v instanceof Tensor x)) throw new Kernels.EvalError("members of one collective hold different kinds of values");
            t.add(x);
        }
        int n = t.size();
        return switch (kind) {
            case ALL_REDUCE -> sum(t);
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

    private static Tensor sum(List<Tensor> t) {
        Tensor s = t.get(0);
        for (int i = 1; i < t.size(); i++) {
            if (t.get(i).data.length != s.data.length) throw new Kernels.EvalError("all-reduce of shards of different sizes");
            s = s.plus(t.get(i));
        }
        return s;
    }

    private static Buckets buckets(CollectiveKind kind, int dim, List<Value> parts, int me) {
        List<Buckets> b = new ArrayList<>();
        for (Value v : parts) {
            if (!(v instanceof Buckets x)) throw new Kernels.EvalError("members of one collective hold different kinds of values");
            b.add(x);
        }
        int n = b.size();
        if (kind == CollectiveKind.ALL_REDUCE) return reduce(b);
        if (kind != CollectiveKind.ALL_TO_ALL) throw new Kernels.EvalError(kind.opName() + " of dispatched tokens is not defined");
        if (dim == 0) {
            // To the experts: sender i's buckets for my block of experts, tagged with i.
            int per = b.get(0).experts.size() / n;
            List<List<Buckets.Entry>> mine = new ArrayList<>();
            for (int e = 0; e < per; e++) mine.add(new ArrayList<>());
            for (int i = 0; i < n; i++) {
                for (int e = 0; e < per; e++) {
                    for (Buckets.Entry entry : b.get(i).experts.get(me * per + e)) mine.get(e).add(entry.from(i));
                }
            }
            return new Buckets(b.get(0).firstExpert + me * per, mine);
        }
        // Back home: every sender's entries whose last origin is me, experts in sender order.
        List<List<Buckets.Entry>> mine = new ArrayList<>();
        int first = Integer.MAX_VALUE;
        for (Buckets from : b) {
            first = Math.min(first, from.firstExpert);
            for (List<Buckets.Entry> bucket : from.experts) {
                List<Buckets.Entry> back = new ArrayList<>();
                for (Buckets.Entry entry : bucket) {
                    if (!entry.origins().isEmpty() && entry.origins().get(entry.origins().size() - 1) == me) back.add(entry.popOrigin());
                }
                mine.add(back);
            }
        }
        return new Buckets(first, mine);
    }

    private static Buckets reduce(List<Buckets> b) {
        Buckets first = b.get(0);
        List<List<Buckets.Entry>> out = new ArrayList<>();
        for (int e = 0; e < first.experts.size(); e++) {
            List<Buckets.Entry> bucket = new ArrayList<>();
            for (int k = 0; k < first.experts.get(e).size(); k++) {
                Buckets.Entry entry = first.experts.get(e).get(k);
                double[] v = entry.vector().clone();
                for (int i = 1; i < b.size(); i++) {
                    Buckets.Entry other = b.get(i).experts.get(e).get(k);
                    if (other.token() != entry.token() || other.slot() != entry.slot() || other.vector().length != v.length) {
                        throw new Kernels.EvalError("all-reduce members hold different tokens");
                    }
                    for (int j = 0; j < v.length; j++) v[j] += other.vector()[j];
                }
                bucket.add(entry.with(v));
            }
            out.add(bucket);
        }
        return new Buckets(first.firstExpert, out);
    }
}
