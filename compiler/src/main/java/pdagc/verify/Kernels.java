package pdagc.verify;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The CPU kernels of the reference evaluator, written once on local shards with explicit global
 * offsets, so the same code runs the unpartitioned model (offsets 0, whole tensors) and every GPU's
 * shard of the partitioned one.
 */
final class Kernels {
    static final double EPS = 1e-5;

    private Kernels() {}

    static Tensor embed(Tensor tokens, Tensor weight, int vocabOffset) {
        int h = weight.shape[1];
        int rows = weight.shape[0];
        int[] s = {tokens.shape[0], tokens.shape[1], h};
        Tensor out = Tensor.zeros(s);
        for (int t = 0; t < tokens.data.length; t++) {
            int row = (int) tokens.data[t] - vocabOffset;
            if (row >= 0 && row < rows) System.arraycopy(weight.data, row * h, out.data, t * h, h);
        }
        return out;
    }

    /**
     * The contraction {@code spec} of an activation and a weight: every point of the iteration
     * space (each factor over its local size) adds x times w into the result at its factors.
     */
    static Tensor einsum(pdagc.ir.Contraction spec, Tensor x, Tensor w) {
        String a = spec.activation(), b = spec.operand(1), r = spec.result();
        if (x.rank() != a.length() || w.rank() != b.length()) throw new EvalError(spec + " of " + x.describe() + " and " + w.describe());
        String factors = a;
        for (char c : b.toCharArray()) if (factors.indexOf(c) < 0) factors += c;
        int[] size = new int[factors.length()];
        java.util.Arrays.fill(size, -1);
        for (int i = 0; i < a.length(); i++) size[factors.indexOf(a.charAt(i))] = x.shape[i];
        for (int i = 0; i < b.length(); i++) {
            int f = factors.indexOf(b.charAt(i));
            if (size[f] >= 0 && size[f] != w.shape[i]) {
                throw new EvalError(spec + ": factor " + b.charAt(i) + " is " + size[f] + " in the input and " + w.shape[i] + " in its weight shard");
            }
            size[f] = w.shape[i];
        }
        int[] outShape = new int[r.length()];
        for (int j = 0; j < r.length(); j++) outShape[j] = size[factors.indexOf(r.charAt(j))];
        Tensor out = Tensor.zeros(outShape);
        int[] xs = strides(a, factors, x.shape), ws = strides(b, factors, w.shape), os = strides(r, factors, outShape);
        int[] at = new int[factors.length()];
        for (int s : size) if (s == 0) return out;
        while (true) {
            int xi = 0, wi = 0, oi = 0;
            for (int f = 0; f < at.length; f++) {
                xi += at[f] * xs[f];
                wi += at[f] * ws[f];
                oi += at[f] * os[f];
            }
            out.data[oi] += x.data[xi] * w.data[wi];
            int f = at.length - 1;
            while (f >= 0 && ++at[f] == size[f]) at[f--] = 0;
            if (f < 0) return out;
        }
    }

    /** The stride of each factor in a row-major tensor whose dimensions are {@code dims} (0 for a factor it lacks). */
    private static int[] strides(String dims, String factors, int[] shape) {
        int[] out = new int[factors.length()];
        int stride = 1;
        for (int i = dims.length() - 1; i >= 0; i--) {
            out[factors.indexOf(dims.charAt(i))] = stride;
            stride *= shape[i];
        }
        return out;
    }

    static Tensor linear(Tensor x, Tensor w) {
        int k = w.shape[0];
        int n = w.shape[1];
        if (x.last() != k) throw new EvalError("linear input width " + x.last() + " does not match its weight shard " + k);
        int[] s = x.shape.clone();
        s[s.length - 1] = n;
        Tensor out = Tensor.zeros(s);
        int rows = x.rows();
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < k; i++) {
                double xv = x.data[r * k + i];
                if (xv == 0) continue;
                int wo = i * n;
                int oo = r * n;
                for (int j = 0; j < n; j++) out.data[oo + j] += xv * w.data[wo + j];
            }
        }
        return out;
    }

    static Tensor norm(pdagc.ir.NormType type, Tensor x, Tensor gamma) {
        int h = x.last();
        if (gamma.data.length != h) throw new EvalError("norm over " + h + " values has a scale of " + gamma.data.length);
        Tensor out = Tensor.zeros(x.shape);
        double[] xhat = new double[h];
        for (int r = 0; r < x.rows(); r++) {
            int o = r * h;
            normalizeRow(type, x, o, h, xhat);
            for (int i = 0; i < h; i++) out.data[o + i] = xhat[i] * gamma.data[i];
        }
        return out;
    }

    /** The normalized values x̂ of the row of {@code h} values at {@code o} into {@code xhat}; returns the inverse deviation. */
    static double normalizeRow(pdagc.ir.NormType type, Tensor x, int o, int h, double[] xhat) {
        double mean = 0;
        if (type == pdagc.ir.NormType.LAYERNORM) {
            for (int i = 0; i < h; i++) mean += x.data[o + i];
            mean /= h;
        }
        double var = 0;
        for (int i = 0; i < h; i++) {
            double c = x.data[o + i] - mean;
            var += c * c;
        }
        double inv = 1 / Math.sqrt(var / h + EPS);
        for (int i = 0; i < h; i++) xhat[i] = (x.data[o + i] - mean) * inv;
        return inv;
    }

    static Tensor unary(pdagc.ir.Elementwise fn, Tensor x) {
        Tensor out = Tensor.zeros(x.shape);
        for (int i = 0; i < x.data.length; i++) out.data[i] = fn.apply(x.data[i]);
        return out;
    }

    static double binary(pdagc.ir.BinaryFn fn, double a, double b) {
        return switch (fn) {
            case ADD -> a + b;
            case MUL -> a * b;
        };
    }

    static Tensor binary(pdagc.ir.BinaryFn fn, Tensor a, Tensor b) {
        if (a.data.length != b.data.length) throw new EvalError(fn + " of shards of different sizes");
        Tensor out = Tensor.zeros(a.shape);
        for (int i = 0; i < a.data.length; i++) out.data[i] = binary(fn, a.data[i], b.data[i]);
        return out;
    }

    static Tensor softmax(Tensor x) {
        int n = x.last();
        Tensor out = Tensor.zeros(x.shape);
        for (int r = 0; r < x.rows(); r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) max = Math.max(max, x.data[r * n + i]);
            double sum = 0;
            for (int i = 0; i < n; i++) {
                double e = x.data[r * n + i] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(x.data[r * n + i] - max);
                out.data[r * n + i] = e;
                sum += e;
            }
            for (int i = 0; i < n; i++) out.data[r * n + i] /= sum;
        }
        return out;
    }

    static Tensor lastToken(Tensor x) {
        return x.slice(1, x.shape[1] - 1, 1);
    }

    /** Gate: softmax over experts, the top k by probability (ties to the lower index), weights renormalized. */
    static Tensor router(Tensor x, Tensor w, int top) {
        Tensor logits = linear(x, w);
        Tensor p = softmax(logits);
        int e = w.shape[1];
        int rows = p.rows();
        int[] s = x.shape.clone();
        s[s.length - 1] = top;
        Tensor out = new Tensor(s, new double[rows * top], new int[rows * top]);
        for (int r = 0; r < rows; r++) {
            boolean[] taken = new boolean[e];
            double sum = 0;
            for (int k = 0; k < top; k++) {
                int best = -1;
                for (int j = 0; j < e; j++) if (!taken[j] && (best < 0 || p.data[r * e + j] > p.data[r * e + best])) best = j;
                taken[best] = true;
                out.index[r * top + k] = best;
                out.data[r * top + k] = p.data[r * e + best];
                sum += p.data[r * e + best];
            }
            for (int k = 0; k < top; k++) out.data[r * top + k] /= sum;
        }
        return out;
    }

    /** Groups each token's top-k copies by expert; all experts, in token order. */
    static Buckets dispatch(Tensor x, Tensor route, int experts, long tokenBase, long[] tokenIds) {
        List<List<Buckets.Entry>> b = new ArrayList<>();
        for (int e = 0; e < experts; e++) b.add(new ArrayList<>());
        int h = x.last();
        int top = route.last();
        int[] count = new int[experts];
        for (int i = 0; i < route.rows() * top; i++) count[route.index[i]]++;
        for (int t = 0; t < route.rows(); t++) {
            double[] v = new double[h];
            System.arraycopy(x.data, t * h, v, 0, h);
            for (int k = 0; k < top; k++) {
                List<Buckets.Entry> bucket = b.get(route.index[t * top + k]);
                bucket.add(Buckets.Entry.dispatched(tokenIds[t], k, bucket.size(), count[route.index[t * top + k]], v));
            }
        }
        return new Buckets(0, b);
    }

    static Buckets expertLinear(Buckets in, Tensor w, int expertOffset) {
        if (in.firstExpert != expertOffset || in.experts.size() != w.shape[0]) {
            throw new EvalError("expert weights " + expertOffset + ".." + (expertOffset + w.shape[0] - 1) + " meet " + in.describe());
        }
        int k = w.shape[1];
        int n = w.shape[2];
        List<List<Buckets.Entry>> out = new ArrayList<>();
        for (int e = 0; e < in.experts.size(); e++) {
            Tensor we = w.slice(0, e, 1);
            List<Buckets.Entry> bucket = new ArrayList<>();
            for (Buckets.Entry entry : in.experts.get(e)) {
                if (entry.vector().length != k) throw new EvalError("expert input width " + entry.vector().length + " meets weight rows " + k);
                double[] v = new double[n];
                for (int i = 0; i < k; i++) for (int j = 0; j < n; j++) v[j] += entry.vector()[i] * we.data[i * n + j];
                bucket.add(entry.with(v));
            }
            out.add(bucket);
        }
        return new Buckets(in.firstExpert, out);
    }

    static Buckets unary(pdagc.ir.Elementwise fn, Buckets in) {
        List<List<Buckets.Entry>> out = new ArrayList<>();
        for (List<Buckets.Entry> bucket : in.experts) {
            List<Buckets.Entry> b = new ArrayList<>();
            for (Buckets.Entry e : bucket) {
                double[] v = e.vector().clone();
                for (int i = 0; i < v.length; i++) v[i] = fn.apply(v[i]);
                b.add(e.with(v));
            }
            out.add(b);
        }
        return new Buckets(in.firstExpert, out);
    }

    /** Each token's output: the gate-weighted sum of its k experts' outputs, found by (token, slot). */
    static Tensor combine(Buckets y, Tensor route, long[] tokenIds, int width) {
        Map<String, double[]> byKey = new HashMap<>();
        for (List<Buckets.Entry> bucket : y.experts) for (Buckets.Entry e : bucket) byKey.put(Buckets.key(e), e.vector());
        int top = route.last();
        int[] s = route.shape.clone();
        s[s.length - 1] = width;
        Tensor out = Tensor.zeros(s);
        for (int t = 0; t < route.rows(); t++) {
            for (int k = 0; k < top; k++) {
                double[] v = byKey.get(Buckets.key(tokenIds[t], k));
                if (v == null) throw new EvalError("token " + tokenIds[t] + " slot " + k + " did not come back from its expert");
                if (v.length != width) throw new EvalError("expert output width " + v.length + " where " + width + " is expected");
                for (int i = 0; i < width; i++) out.data[t * width + i] += route.data[t * top + k] * v[i];
            }
        }
        return out;
    }

    /**
     * A rank's part of a dropout mask: element i of the global tensor is kept (1) when a uniform
     * draw from {@code seed} and i falls at or above {@code p}, else dropped (0). The part of local
     * shape {@code local} starts at {@code offsets} of the global shape {@code global}, so every
     * rank's part is a slice of the one mask the unpartitioned model draws.
     */
    static Tensor dropoutMask(double p, int[] local, int[] global, int[] offsets, long seed) {
        Tensor out = Tensor.zeros(local);
        int[] at = new int[local.length];
        for (int i = 0; i < out.data.length; i++) {
            long g = 0;
            for (int d = 0; d < local.length; d++) g = g * global[d] + offsets[d] + at[d];
            double u = (Random.unit(Random.mix(seed ^ Random.mix(g))) + 1) / 2;
            out.data[i] = u >= p ? 1 : 0;
            for (int d = local.length - 1; d >= 0 && ++at[d] == local[d]; d--) at[d] = 0;
        }
        return out;
    }

    /** Dropout with its mask: x · mask / (1 - p); also its gradient, dy · mask / (1 - p). */
    static Tensor dropout(Tensor x, Tensor mask, double p) {
        if (x.data.length != mask.data.length) throw new EvalError("dropout of " + x.describe() + " with a mask of " + mask.describe());
        Tensor out = Tensor.zeros(x.shape);
        for (int i = 0; i < x.data.length; i++) out.data[i] = x.data[i] * mask.data[i] / (1 - p);
        return out;
    }

    /** x plus a bias shard over the last dimension. */
    static Tensor bias(Tensor x, Tensor b) {
        int h = x.last();
        if (b.data.length != h) throw new EvalError("bias over " + h + " values has " + b.data.length);
        Tensor out = Tensor.zeros(x.shape);
        for (int i = 0; i < x.data.length; i++) out.data[i] = x.data[i] + b.data[i % h];
        return out;
    }

    /** The norm of every head of width {@code d}, all heads with the same scale. */
    static Tensor headNorm(pdagc.ir.NormType type, int d, Tensor x, Tensor gamma) {
        if (x.last() % d != 0) throw new EvalError("a shard of width " + x.last() + " does not hold whole heads of " + d);
        int[] perHead = {x.data.length / d, d};
        Tensor out = norm(type, new Tensor(perHead, x.data, null), gamma);
        return new Tensor(x.shape.clone(), out.data, null);
    }

    /** Each row of x times its gate value: x [.., H], g [.., 1]. */
    static Tensor scale(Tensor x, Tensor g) {
        int h = x.last();
        if (g.data.length != x.rows()) throw new EvalError("a gate of " + g.data.length + " values for " + x.rows() + " rows");
        Tensor out = Tensor.zeros(x.shape);
        for (int i = 0; i < x.data.length; i++) out.data[i] = x.data[i] * g.data[i / h];
        return out;
    }

    /** x times the transpose of w [n, k]: out[.., j] = sum_i x[.., i] w[j, i] (a tied head over its vocabulary rows). */
    static Tensor linearTransposed(Tensor x, Tensor w) {
        int n = w.shape[0];
        int k = w.shape[1];
        if (x.last() != k) throw new EvalError("tied head input width " + x.last() + " does not match the embedding width " + k);
        int[] s = x.shape.clone();
        s[s.length - 1] = n;
        Tensor out = Tensor.zeros(s);
        for (int r = 0; r < x.rows(); r++) {
            for (int j = 0; j < n; j++) {
                double acc = 0;
                for (int i = 0; i < k; i++) acc += x.data[r * k + i] * w.data[j * k + i];
                out.data[r * n + j] = acc;
            }
        }
        return out;
    }

    /** Rows of a position table: token (b, j) is at position {@code firstPosition + j}. */
    static Tensor posEmbed(Tensor tokens, Tensor table, int firstPosition) {
        int b = tokens.shape[0];
        int s = tokens.shape[1];
        int h = table.shape[1];
        Tensor out = Tensor.zeros(b, s, h);
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < s; j++) {
                int pos = firstPosition + j;
                if (pos < 0 || pos >= table.shape[0]) throw new EvalError("position " + pos + " is outside the table of " + table.shape[0]);
                System.arraycopy(table.data, pos * h, out.data, (i * s + j) * h, h);
            }
        }
        return out;
    }

    /** Elementwise add or mul of two bucketed values that came from the same dispatch (gated experts). */
    static Buckets binary(pdagc.ir.BinaryFn fn, Buckets a, Buckets b) {
        if (a.firstExpert != b.firstExpert || a.experts.size() != b.experts.size()) throw new EvalError(fn + " of " + a.describe() + " and " + b.describe());
        List<List<Buckets.Entry>> out = new ArrayList<>();
        for (int e = 0; e < a.experts.size(); e++) {
            List<Buckets.Entry> x = a.experts.get(e);
            List<Buckets.Entry> y = b.experts.get(e);
            if (x.size() != y.size()) throw new EvalError(fn + " of buckets of different sizes for expert " + (a.firstExpert + e));
            // Entries pair by token and slot; a gradient may reach the experts in another order than the forward value.
            Map<String, Buckets.Entry> byKey = null;
            List<Buckets.Entry> bucket = new ArrayList<>();
            for (int i = 0; i < x.size(); i++) {
                Buckets.Entry p = x.get(i);
                Buckets.Entry q = y.get(i);
                if (p.token() != q.token() || p.slot() != q.slot()) {
                    if (byKey == null) {
                        byKey = new HashMap<>();
                        for (Buckets.Entry o : y) byKey.put(Buckets.key(o), o);
                    }
                    q = byKey.get(Buckets.key(p));
                    if (q == null) throw new EvalError(fn + " finds no partner for token " + p.token() + " slot " + p.slot() + " at expert " + (a.firstExpert + e));
                }
                if (p.vector().length != q.vector().length) throw new EvalError(fn + " of vectors of widths " + p.vector().length + " and " + q.vector().length);
                double[] v = new double[p.vector().length];
                for (int j = 0; j < v.length; j++) v[j] = binary(fn, p.vector()[j], q.vector()[j]);
                bucket.add(p.with(v));
            }
            out.add(bucket);
        }
        return new Buckets(a.firstExpert, out);
    }

    /** An evaluation that cannot go on (a shard that does not fit its weight, a lost token): a mismatch. */
    static final class EvalError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        EvalError(String message) {
            super(message);
        }
    }
}
