package pdagc.verify;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The reference kernels of the backward pass and the optimizer step, on shards: each is the exact
 * derivative of its forward kernel in {@link Kernels} or {@link Attention}, so that a plan's
 * gradients are compared with the unpartitioned model's in doubles.
 */
final class Backward {
    private Backward() {}

    /** A norm's input gradient: inv · (g - mean(g) - x̂·mean(g·x̂)) with g = dy·γ (RMSNorm: no mean(g) term). */
    static Tensor normInput(pdagc.ir.NormType type, Tensor x, Tensor gamma, Tensor dy) {
        int h = x.last();
        Tensor out = Tensor.zeros(x.shape);
        double[] xhat = new double[h];
        for (int r = 0; r < x.rows(); r++) {
            int o = r * h;
            double inv = Kernels.normalizeRow(type, x, o, h, xhat);
            double meanG = 0, meanGx = 0;
            for (int i = 0; i < h; i++) {
                double g = dy.data[o + i] * gamma.data[i];
                meanG += g;
                meanGx += g * xhat[i];
            }
            meanG /= h;
            meanGx /= h;
            if (type != pdagc.ir.NormType.LAYERNORM) meanG = 0;
            for (int i = 0; i < h; i++) out.data[o + i] = inv * (dy.data[o + i] * gamma.data[i] - meanG - xhat[i] * meanGx);
        }
        return out;
    }

    /** A norm's scale gradient: the sum over rows of dy·x̂. */
    static Tensor normWeight(pdagc.ir.NormType type, Tensor x, Tensor dy) {
        int h = x.last();
        Tensor out = Tensor.zeros(h);
        double[] xhat = new double[h];
        for (int r = 0; r < x.rows(); r++) {
            int o = r * h;
            Kernels.normalizeRow(type, x, o, h, xhat);
            for (int i = 0; i < h; i++) out.data[i] += dy.data[o + i] * xhat[i];
        }
        return out;
    }

    /** Softmax's input gradient: y · (dy - Σ dy·y) per row. */
    static Tensor softmax(Tensor y, Tensor dy) {
        int n = y.last();
        Tensor out = Tensor.zeros(y.shape);
        for (int r = 0; r < y.rows(); r++) {
            double dot = 0;
            for (int i = 0; i < n; i++) dot += dy.data[r * n + i] * y.data[r * n + i];
            for (int i = 0; i < n; i++) out.data[r * n + i] = y.data[r * n + i] * (dy.data[r * n + i] - dot);
        }
        return out;
    }

    /** An elementwise function's input gradient: dy · f'(x). */
    static Tensor unary(pdagc.ir.Elementwise fn, Tensor x, Tensor dy) {
        Tensor out = Tensor.zeros(x.shape);
        for (int i = 0; i < x.data.length; i++) out.data[i] = dy.data[i] * fn.slope(x.data[i]);
        return out;
    }

    /** A bias's gradient: dy summed over every dimension but the last. */
    static Tensor bias(Tensor dy) {
        int h = dy.last();
        Tensor out = Tensor.zeros(h);
        for (int r = 0; r < dy.rows(); r++) for (int i = 0; i < h; i++) out.data[i] += dy.data[r * h + i];
        return out;
    }

    /** An embedding table's gradient on the rows {@code [vocabOffset, vocabOffset + rows)}: each token's row gets its output's gradient. */
    static Tensor embedWeight(Tensor tokens, Tensor dy, int rows, int vocabOffset) {
        int h = dy.last();
        Tensor out = Tensor.zeros(rows, h);
        for (int t = 0; t < tokens.data.length; t++) {
            int row = (int) tokens.data[t] - vocabOffset;
            if (row < 0 || row >= rows) continue;
            for (int i = 0; i < h; i++) out.data[row * h + i] += dy.data[t * h + i];
        }
        return out;
    }

    /**
     * The label of a position: a deterministic function of its own token, {@code (token + 1) mod
     * vocab}, standing in for the data loader's shifted labels (which arrive with the tokens and
     * never cross ranks).
     */
    static int label(double token, int vocab) {
        return (int) ((long) token + 1) % vocab;
    }

    /**
     * The largest logit of each row over the columns held, {@code logits} [.., Vl] -> [..]: one
     * rank's partial maximum of Megatron's vocabulary-parallel cross-entropy.
     */
    static Tensor logitMax(Tensor logits) {
        int v = logits.last();
        Tensor out = Tensor.zeros(rowsShape(logits));
        for (int r = 0; r < logits.rows(); r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < v; i++) max = Math.max(max, logits.data[r * v + i]);
            out.data[r] = max;
        }
        return out;
    }

    /** {@code Σ exp(z - max)} of each row over the columns held, with the whole row's max: a partial sum. */
    static Tensor sumExp(Tensor logits, Tensor max) {
        int v = logits.last();
        Tensor out = Tensor.zeros(rowsShape(logits));
        for (int r = 0; r < logits.rows(); r++) {
            double sum = 0;
            for (int i = 0; i < v; i++) sum += Math.exp(logits.data[r * v + i] - max.data[r]);
            out.data[r] = sum;
        }
        return out;
    }

    /**
     * The logit of each row's label where this rank's columns, {@code offset} to {@code offset +
     * Vl} of a vocabulary of {@code vocab}, hold it, else 0: a partial sum.
     */
    static Tensor labelLogit(Tensor logits, Tensor tokens, int vocab, int offset) {
        int v = logits.last();
        Tensor out = Tensor.zeros(rowsShape(logits));
        for (int r = 0; r < logits.rows(); r++) {
            int col = label(tokens.data[r], vocab) - offset;
            out.data[r] = col >= 0 && col < v ? logits.data[r * v + col] : 0;
        }
        return out;
    }

    /** Cross-entropy per token from the whole statistics: {@code log(Σ exp(z - max)) + max - z[label]}. */
    static Tensor loss(Tensor max, Tensor sumExp, Tensor labelLogit) {
        Tensor out = Tensor.zeros(max.shape);
        for (int r = 0; r < out.data.length; r++) out.data[r] = Math.log(sumExp.data[r]) + max.data[r] - labelLogit.data[r];
        return out;
    }

    /**
     * The logits' gradient of the mean loss over {@code total} tokens on the columns held
     * ({@code offset} on, of a vocabulary of {@code vocab}): {@code (exp(z - max) / Σ - onehot(label))
     * / total}, from the whole max and sum of exponentials (Megatron's backward of its
     * vocabulary-parallel cross-entropy).
     */
    static Tensor lossInput(Tensor logits, Tensor tokens, Tensor max, Tensor sumExp, int vocab, int offset, long total) {
        int v = logits.last();
        Tensor p = Tensor.zeros(logits.shape);
        for (int r = 0; r < logits.rows(); r++) {
            for (int i = 0; i < v; i++) p.data[r * v + i] = Math.exp(logits.data[r * v + i] - max.data[r]) / sumExp.data[r];
            int col = label(tokens.data[r], vocab) - offset;
            if (col >= 0 && col < v) p.data[r * v + col] -= 1;
            for (int i = 0; i < v; i++) p.data[r * v + i] /= total;
        }
        return p;
    }

    private static int[] rowsShape(Tensor x) {
        return java.util.Arrays.copyOf(x.shape, x.shape.length - 1);
    }

    /**
     * AdamW's first step from zero moments on a shard: m̂ = g and v̂ = g² after bias correction, so
     * w' = w - lr · (g / (|g| + eps) + decay · w).
     */
    static Tensor adam(Tensor w, Tensor g, double lr, double eps, double decay) {
        if (w.data.length != g.data.length) throw new Kernels.EvalError("optimizer step on a weight shard of " + w.describe() + " with a gradient of " + g.describe());
        Tensor out = Tensor.zeros(w.shape);
        for (int i = 0; i < w.data.length; i++) out.data[i] = w.data[i] - lr * (g.data[i] / (Math.abs(g.data[i]) + eps) + decay * w.data[i]);
        return out;
    }

    /** A per-head norm's input gradient: the norm's, head by head ({@code d} wide), all heads with one scale. */
    static Tensor headNormInput(pdagc.ir.NormType type, int d, Tensor x, Tensor gamma, Tensor dy) {
        if (x.last() % d != 0) throw new Kernels.EvalError("a shard of width " + x.last() + " does not hold whole heads of " + d);
        int[] perHead = {x.data.length / d, d};
        Tensor out = normInput(type, new Tensor(perHead, x.data, null), gamma, new Tensor(perHead, dy.data, null));
        return new Tensor(x.shape.clone(), out.data, null);
    }

    /** A per-head norm's scale gradient: the norm's, summed over every head of every row. */
    static Tensor headNormWeight(pdagc.ir.NormType type, int d, Tensor x, Tensor dy) {
        if (x.last() % d != 0) throw new Kernels.EvalError("a shard of width " + x.last() + " does not hold whole heads of " + d);
        int[] perHead = {x.data.length / d, d};
        return normWeight(type, new Tensor(perHead, x.data, null), new Tensor(perHead, dy.data, null));
    }

    /** A row gate's gradient: each row of dy dotted with the row of x it scaled, [.., 1]. */
    static Tensor scaleGate(Tensor x, Tensor dy) {
        int h = x.last();
        if (dy.data.length != x.data.length) throw new Kernels.EvalError("a gate's gradient from rows of " + dy.describe() + " and " + x.describe());
        int[] s = x.shape.clone();
        s[s.length - 1] = 1;
        Tensor out = Tensor.zeros(s);
        for (int i = 0; i < x.data.length; i++) out.data[i / h] += dy.data[i] * x.data[i];
        return out;
    }

    /** A tied head's gradient to its table rows: {@code dE[v, i] = Σ_r dy[r, v] x[r, i]} over this shard's vocabulary rows. */
    static Tensor tiedTable(Tensor x, Tensor dy) {
        int k = x.last();
        int n = dy.last();
        if (x.rows() != dy.rows()) throw new Kernels.EvalError("tied head gradient of " + dy.describe() + " against " + x.describe());
        Tensor out = Tensor.zeros(n, k);
        for (int r = 0; r < x.rows(); r++) {
            for (int v = 0; v < n; v++) {
                double g = dy.data[r * n + v];
                if (g == 0) continue;
                for (int i = 0; i < k; i++) out.data[v * k + i] += g * x.data[r * k + i];
            }
        }
        return out;
    }

    /** A learned position table's gradient: row {@code firstPosition + j} gets the gradients of position j of every sequence. */
    static Tensor positions(Tensor dy, int[] tableShape, int firstPosition) {
        int b = dy.shape[0], s = dy.shape[1], h = dy.shape[2];
        Tensor out = Tensor.zeros(tableShape);
        if (tableShape[1] != h) throw new Kernels.EvalError("position table of width " + tableShape[1] + " for gradients of width " + h);
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < s; j++) {
                int pos = firstPosition + j;
                if (pos < 0 || pos >= tableShape[0]) throw new Kernels.EvalError("position " + pos + " is outside the table of " + tableShape[0]);
                for (int e = 0; e < h; e++) out.data[pos * h + e] += dy.data[(i * s + j) * h + e];
            }
        }
        return out;
    }

    /** The last position's gradient put back in a sequence of {@code shape}: zero elsewhere. */
    static Tensor lastToken(Tensor dy, int[] shape) {
        Tensor out = Tensor.zeros(shape);
        int s = shape[1];
        int inner = out.inner(1);
        for (int b = 0; b < shape[0]; b++) System.arraycopy(dy.data, b * inner, out.data, (b * s + s - 1) * inner, inner);
        return out;
    }

    // ---- mixture of experts ----

    /**
     * The gate's logits' gradient, {@code [tokens, experts]}, from the route (each token's chosen
     * experts and their weights g, a softmax over the chosen experts' logits: the renormalized
     * top-k of the softmax over all experts) and the weights' gradient dg:
     * {@code dz = g·(dg - Σ g·dg)} at the chosen experts, zero elsewhere. The choice itself is
     * piecewise constant in the logits and has no gradient.
     */
    private static double[][] gateLogits(Tensor route, Tensor dg, int experts) {
        int top = route.last();
        int rows = route.rows();
        if (route.index == null) throw new Kernels.EvalError("the router's gradient needs the route's choices");
        if (dg.data.length != route.data.length) throw new Kernels.EvalError("a route of " + route.describe() + " with a gradient of " + dg.describe());
        double[][] dz = new double[rows][experts];
        for (int t = 0; t < rows; t++) {
            double dot = 0;
            for (int k = 0; k < top; k++) dot += route.data[t * top + k] * dg.data[t * top + k];
            for (int k = 0; k < top; k++) {
                int e = route.index[t * top + k];
                dz[t][e] += route.data[t * top + k] * (dg.data[t * top + k] - dot);
            }
        }
        return dz;
    }

    /** The router's input gradient: {@code dx = dz W^T}, W the gate's [hidden, experts]. */
    static Tensor routerInput(Tensor route, Tensor w, Tensor dg) {
        int h = w.shape[0], experts = w.shape[1];
        double[][] dz = gateLogits(route, dg, experts);
        int[] s = route.shape.clone();
        s[s.length - 1] = h;
        Tensor out = Tensor.zeros(s);
        for (int t = 0; t < dz.length; t++) {
            for (int e = 0; e < experts; e++) {
                if (dz[t][e] == 0) continue;
                for (int i = 0; i < h; i++) out.data[t * h + i] += dz[t][e] * w.data[i * experts + e];
            }
        }
        return out;
    }

    /** The gate's weight gradient: {@code dW = x^T dz}. */
    static Tensor routerWeight(Tensor x, Tensor route, Tensor dg, int experts) {
        int h = x.last();
        double[][] dz = gateLogits(route, dg, experts);
        if (x.rows() != dz.length) throw new Kernels.EvalError("router gradient over " + dz.length + " tokens for inputs " + x.describe());
        Tensor out = Tensor.zeros(h, experts);
        for (int t = 0; t < dz.length; t++) {
            for (int e = 0; e < experts; e++) {
                if (dz[t][e] == 0) continue;
                for (int i = 0; i < h; i++) out.data[i * experts + e] += x.data[t * h + i] * dz[t][e];
            }
        }
        return out;
    }

    /**
     * The combine's gradient to the expert outputs: each token's copies bucketed as the dispatch
     * bucketed them (by chosen expert, in token order), each the token's gradient times its gate
     * weight. The reverse of the combine's all-to-all then takes them to the experts.
     */
    static Buckets combineOutputs(Tensor route, Tensor dy, int experts, long[] tokenIds) {
        List<List<Buckets.Entry>> b = new ArrayList<>();
        for (int e = 0; e < experts; e++) b.add(new ArrayList<>());
        int h = dy.last();
        int top = route.last();
        if (dy.rows() != route.rows()) throw new Kernels.EvalError("combine gradient of " + dy.describe() + " with a route of " + route.describe());
        // Placed as the dispatch places the tokens: entry k of an expert's m at k/m, in token order.
        int[] count = new int[experts];
        for (int i = 0; i < route.rows() * top; i++) count[route.index[i]]++;
        for (int t = 0; t < route.rows(); t++) {
            for (int k = 0; k < top; k++) {
                double[] v = new double[h];
                double gate = route.data[t * top + k];
                for (int i = 0; i < h; i++) v[i] = gate * dy.data[t * h + i];
                List<Buckets.Entry> bucket = b.get(route.index[t * top + k]);
                bucket.add(Buckets.Entry.dispatched(tokenIds[t], k, bucket.size(), count[route.index[t * top + k]], v));
            }
        }
        return new Buckets(0, b);
    }

    /** The combine's gradient to the gate weights: {@code dg[t, k] = dy[t] · y(t, k)}, y the expert output of the token's slot k. */
    static Tensor combineGates(Buckets y, Tensor dy, long[] tokenIds, int top) {
        Map<String, double[]> byKey = byKey(y);
        int h = dy.last();
        int[] s = dy.shape.clone();
        s[s.length - 1] = top;
        Tensor out = Tensor.zeros(s);
        for (int t = 0; t < dy.rows(); t++) {
            for (int k = 0; k < top; k++) {
                double[] v = byKey.get(Buckets.key(tokenIds[t], k));
                if (v == null) throw new Kernels.EvalError("token " + tokenIds[t] + " slot " + k + " did not come back from its expert");
                if (v.length != h) throw new Kernels.EvalError("expert output width " + v.length + " where " + h + " is expected");
                double dot = 0;
                for (int i = 0; i < h; i++) dot += dy.data[t * h + i] * v[i];
                out.data[t * top + k] = dot;
            }
        }
        return out;
    }

    /** The dispatch's input gradient: each token's sum of its copies' gradients, found by (token, slot) back home. */
    static Tensor dispatchInput(Buckets dy, int[] shape, long[] tokenIds, int top) {
        Map<String, double[]> byKey = byKey(dy);
        Tensor out = Tensor.zeros(shape);
        int h = out.last();
        for (int t = 0; t < out.rows(); t++) {
            for (int k = 0; k < top; k++) {
                double[] v = byKey.get(Buckets.key(tokenIds[t], k));
                if (v == null) throw new Kernels.EvalError("the gradient of token " + tokenIds[t] + " slot " + k + " did not come back from its expert");
                if (v.length != h) throw new Kernels.EvalError("a gradient of width " + v.length + " where " + h + " is expected");
                for (int i = 0; i < h; i++) out.data[t * h + i] += v[i];
            }
        }
        return out;
    }

    /** An expert linear's input gradient: each entry's gradient times its expert's weight transposed. */
    static Buckets expertInput(Buckets dy, Tensor w, int expertOffset) {
        if (dy.firstExpert != expertOffset || dy.experts.size() != w.shape[0]) {
            throw new Kernels.EvalError("expert weights " + expertOffset + ".." + (expertOffset + w.shape[0] - 1) + " meet the gradients of " + dy.describe());
        }
        int k = w.shape[1];
        int n = w.shape[2];
        List<List<Buckets.Entry>> out = new ArrayList<>();
        for (int e = 0; e < dy.experts.size(); e++) {
            List<Buckets.Entry> bucket = new ArrayList<>();
            for (Buckets.Entry entry : dy.experts.get(e)) {
                double[] g = entry.vector();
                if (g.length != n) throw new Kernels.EvalError("expert output gradient width " + g.length + " meets weight columns " + n);
                double[] v = new double[k];
                int base = e * k * n;
                for (int i = 0; i < k; i++) {
                    double acc = 0;
                    for (int j = 0; j < n; j++) acc += g[j] * w.data[base + i * n + j];
                    v[i] = acc;
                }
                bucket.add(entry.with(v));
            }
            out.add(bucket);
        }
        return new Buckets(dy.firstExpert, out);
    }

    /** An expert linear's weight gradient, [experts, in, out] on this shard: for each expert, its entries' inputs times their gradients. */
    static Tensor expertWeight(Buckets x, Buckets dy, int[] shape, int expertOffset) {
        if (x.firstExpert != expertOffset || dy.firstExpert != expertOffset || x.experts.size() != shape[0] || dy.experts.size() != shape[0]) {
            throw new Kernels.EvalError("expert weight gradient of experts " + expertOffset + ".." + (expertOffset + shape[0] - 1) + " from " + x.describe()
                    + " and " + dy.describe());
        }
        int k = shape[1], n = shape[2];
        Tensor out = Tensor.zeros(shape);
        for (int e = 0; e < shape[0]; e++) {
            List<Buckets.Entry> xs = x.experts.get(e);
            Map<String, double[]> grads = byKey(dy.experts.get(e));
            if (grads.size() != xs.size()) throw new Kernels.EvalError("expert " + (expertOffset + e) + " holds " + xs.size() + " inputs and " + grads.size() + " gradients");
            for (Buckets.Entry entry : xs) {
                double[] g = grads.get(Buckets.key(entry));
                if (g == null) throw new Kernels.EvalError("no gradient for token " + entry.token() + " slot " + entry.slot() + " at expert " + (expertOffset + e));
                double[] v = entry.vector();
                if (v.length != k || g.length != n) throw new Kernels.EvalError("expert weight gradient of widths " + v.length + " and " + g.length);
                int base = e * k * n;
                for (int i = 0; i < k; i++) {
                    if (v[i] == 0) continue;
                    for (int j = 0; j < n; j++) out.data[base + i * n + j] += v[i] * g[j];
                }
            }
        }
        return out;
    }

    /** An elementwise function's input gradient on bucketed values: each entry's gradient times f' at its input. */
    static Buckets unary(pdagc.ir.Elementwise fn, Buckets x, Buckets dy) {
        if (x.firstExpert != dy.firstExpert || x.experts.size() != dy.experts.size()) throw new Kernels.EvalError(fn.text() + " gradient of " + dy.describe() + " at " + x.describe());
        List<List<Buckets.Entry>> out = new ArrayList<>();
        for (int e = 0; e < x.experts.size(); e++) {
            Map<String, double[]> grads = byKey(dy.experts.get(e));
            List<Buckets.Entry> bucket = new ArrayList<>();
            for (Buckets.Entry entry : x.experts.get(e)) {
                double[] g = grads.get(Buckets.key(entry));
                if (g == null || g.length != entry.vector().length) throw new Kernels.EvalError("no gradient for token " + entry.token() + " slot " + entry.slot());
                double[] v = new double[g.length];
                for (int i = 0; i < v.length; i++) v[i] = g[i] * fn.slope(entry.vector()[i]);
                bucket.add(entry.with(v));
            }
            out.add(bucket);
        }
        return new Buckets(x.firstExpert, out);
    }

    private static Map<String, double[]> byKey(Buckets b) {
        Map<String, double[]> out = new HashMap<>();
        for (List<Buckets.Entry> bucket : b.experts) out.putAll(byKey(bucket));
        return out;
    }

    private static Map<String, double[]> byKey(List<Buckets.Entry> bucket) {
        Map<String, double[]> out = new HashMap<>();
        for (Buckets.Entry e : bucket) {
            if (out.put(Buckets.key(e), e.vector()) != null) throw new Kernels.EvalError("token " + e.token() + " slot " + e.slot() + " is held twice");
        }
        return out;
    }

    // ---- latent attention (absorbed, causal; training has no cache) ----

    /** The scores' gradient scaled as the scores were, with the causal mask's entries dropped. */
    private static double g(Tensor dS, int bi, int h, int i, int j, int heads, int s, int t, int position, double scale) {
        if (j > position) return 0;
        return dS.data[((bi * heads + h) * s + i) * t + j] * scale;
    }

    private static double[] absorbedGrad(Tensor dS, Tensor latent, int bi, int h, int i, int seqOffset, double scale) {
        int heads = dS.shape[1], s = dS.shape[2], t = dS.shape[3], rank = latent.shape[2];
        double[] da = new double[rank];
        for (int j = 0; j < t; j++) {
            double gv = g(dS, bi, h, i, j, heads, s, t, i + seqOffset, scale);
            if (gv == 0) continue;
            for (int r = 0; r < rank; r++) da[r] += gv * latent.data[(bi * t + j) * rank + r];
        }
        return da;
    }

    /** Latent scores' gradient to q_nope: {@code Σ_r da[r] W_UK[r, h·nope + e]}. */
    static Tensor mlaQueryNope(Tensor dS, Tensor latent, Tensor wuk, int nope, int rope, int seqOffset) {
        int b = dS.shape[0], heads = dS.shape[1], s = dS.shape[2], rank = latent.shape[2];
        double scale = 1 / Math.sqrt(nope + rope);
        Tensor out = Tensor.zeros(b, s, heads * nope);
        for (int bi = 0; bi < b; bi++) for (int i = 0; i < s; i++) for (int h = 0; h < heads; h++) {
            double[] da = absorbedGrad(dS, latent, bi, h, i, seqOffset, scale);
            int q = (bi * s + i) * heads * nope + h * nope;
            for (int r = 0; r < rank; r++) {
                if (da[r] == 0) continue;
                for (int e = 0; e < nope; e++) out.data[q + e] += da[r] * wuk.data[r * heads * nope + h * nope + e];
            }
        }
        return out;
    }

    /** Latent scores' gradient to W_UK on this shard's heads: {@code Σ_{b,i} da[b, i, h, r] q_nope[b, i, h, e]}. */
    static Tensor mlaKeyUp(Tensor qNope, Tensor latent, Tensor dS, int nope, int rope, int seqOffset) {
        int b = dS.shape[0], heads = dS.shape[1], s = dS.shape[2], rank = latent.shape[2];
        double scale = 1 / Math.sqrt(nope + rope);
        Tensor out = Tensor.zeros(rank, heads * nope);
        for (int bi = 0; bi < b; bi++) for (int i = 0; i < s; i++) for (int h = 0; h < heads; h++) {
            double[] da = absorbedGrad(dS, latent, bi, h, i, seqOffset, scale);
            int q = (bi * s + i) * heads * nope + h * nope;
            for (int r = 0; r < rank; r++) {
                if (da[r] == 0) continue;
                for (int e = 0; e < nope; e++) out.data[r * heads * nope + h * nope + e] += da[r] * qNope.data[q + e];
            }
        }
        return out;
    }

    /** Latent scores' gradient to the latent: {@code Σ_{h,i} G a[b, i, h, r]} (a partial sum over the heads of other ranks). */
    static Tensor mlaScoresLatent(Tensor qNope, Tensor wuk, Tensor dS, int nope, int rope, int seqOffset, int[] latentShape) {
        int b = dS.shape[0], heads = dS.shape[1], s = dS.shape[2], t = dS.shape[3], rank = wuk.shape[0];
        double scale = 1 / Math.sqrt(nope + rope);
        Tensor out = Tensor.zeros(latentShape);
        if (latentShape[1] != t || latentShape[2] != rank) throw new Kernels.EvalError("latent gradient " + java.util.Arrays.toString(latentShape) + " for scores " + dS.describe());
        for (int bi = 0; bi < b; bi++) for (int i = 0; i < s; i++) for (int h = 0; h < heads; h++) {
            double[] a = Mla.absorbed(qNope, wuk, nope, bi, i, h);
            for (int j = 0; j < t; j++) {
                double gv = g(dS, bi, h, i, j, heads, s, t, i + seqOffset, scale);
                if (gv == 0) continue;
                for (int r = 0; r < rank; r++) out.data[(bi * t + j) * rank + r] += gv * a[r];
            }
        }
        return out;
    }

    /** Latent scores' gradient to q_rope: {@code Σ_j G k_rope[b, j, e]}. */
    static Tensor mlaQueryRope(Tensor dS, Tensor kRope, int nope, int rope, int seqOffset) {
        int b = dS.shape[0], heads = dS.shape[1], s = dS.shape[2], t = dS.shape[3];
        double scale = 1 / Math.sqrt(nope + rope);
        Tensor out = Tensor.zeros(b, s, heads * rope);
        for (int bi = 0; bi < b; bi++) for (int i = 0; i < s; i++) for (int h = 0; h < heads; h++) {
            int q = (bi * s + i) * heads * rope + h * rope;
            for (int j = 0; j < t; j++) {
                double gv = g(dS, bi, h, i, j, heads, s, t, i + seqOffset, scale);
                if (gv == 0) continue;
                for (int e = 0; e < rope; e++) out.data[q + e] += gv * kRope.data[(bi * t + j) * rope + e];
            }
        }
        return out;
    }

    /** Latent scores' gradient to the shared rope key: {@code Σ_{h,i} G q_rope[b, i, h, e]}. */
    static Tensor mlaKeyRope(Tensor dS, Tensor qRope, int nope, int rope, int seqOffset) {
        int b = dS.shape[0], heads = dS.shape[1], s = dS.shape[2], t = dS.shape[3];
        double scale = 1 / Math.sqrt(nope + rope);
        Tensor out = Tensor.zeros(b, t, rope);
        for (int bi = 0; bi < b; bi++) for (int i = 0; i < s; i++) for (int h = 0; h < heads; h++) {
            int q = (bi * s + i) * heads * rope + h * rope;
            for (int j = 0; j < t; j++) {
                double gv = g(dS, bi, h, i, j, heads, s, t, i + seqOffset, scale);
                if (gv == 0) continue;
                for (int e = 0; e < rope; e++) out.data[(bi * t + j) * rope + e] += gv * qRope.data[q + e];
            }
        }
        return out;
    }

    /** The values W_UV makes from the latent, {@code V[b, j, h·v + x] = Σ_r latent[b, j, r] W_UV[r, h·v + x]}. */
    private static double[][] values(Tensor latent, Tensor wuv, int bi) {
        int t = latent.shape[1], rank = latent.shape[2], width = wuv.shape[1];
        double[][] v = new double[t][width];
        for (int j = 0; j < t; j++) for (int r = 0; r < rank; r++) {
            double c = latent.data[(bi * t + j) * rank + r];
            if (c == 0) continue;
            for (int x = 0; x < width; x++) v[j][x] += c * wuv.data[r * width + x];
        }
        return v;
    }

    /** The values' gradient, {@code dV[b, j, h·v + x] = Σ_i P[b, h, i, j] dctx[b, i, h·v + x]}. */
    private static double[][] valueGrad(Tensor probs, Tensor dctx, int bi) {
        int heads = probs.shape[1], s = probs.shape[2], t = probs.shape[3], width = dctx.last(), v = width / heads;
        double[][] dv = new double[t][width];
        for (int h = 0; h < heads; h++) for (int i = 0; i < s; i++) for (int j = 0; j < t; j++) {
            double p = probs.data[((bi * heads + h) * s + i) * t + j];
            if (p == 0) continue;
            for (int x = 0; x < v; x++) dv[j][h * v + x] += p * dctx.data[(bi * s + i) * width + h * v + x];
        }
        return dv;
    }

    /** Latent context's gradient to the probabilities: {@code Σ_x dctx[b, i, h·v + x] V[b, j, h·v + x]}. */
    static Tensor mlaContextProbs(Tensor latent, Tensor wuv, Tensor dctx, int heads) {
        int b = dctx.shape[0], s = dctx.shape[1], width = dctx.shape[2], t = latent.shape[1], v = width / heads;
        if (wuv.shape[1] != width) throw new Kernels.EvalError("W_UV shard " + java.util.Arrays.toString(wuv.shape) + " for a context gradient of width " + width);
        Tensor out = Tensor.zeros(b, heads, s, t);
        for (int bi = 0; bi < b; bi++) {
            double[][] vals = values(latent, wuv, bi);
            for (int h = 0; h < heads; h++) for (int i = 0; i < s; i++) for (int j = 0; j < t; j++) {
                double acc = 0;
                for (int x = 0; x < v; x++) acc += dctx.data[(bi * s + i) * width + h * v + x] * vals[j][h * v + x];
                out.data[((bi * heads + h) * s + i) * t + j] = acc;
            }
        }
        return out;
    }

    /** Latent context's gradient to the latent: {@code Σ_{h,x} dV[b, j, h·v + x] W_UV[r, h·v + x]} (partial over other ranks' heads). */
    static Tensor mlaContextLatent(Tensor probs, Tensor wuv, Tensor dctx, int[] latentShape) {
        int b = probs.shape[0], t = probs.shape[3], rank = wuv.shape[0], width = wuv.shape[1];
        if (latentShape[1] != t || latentShape[2] != rank) throw new Kernels.EvalError("latent gradient " + java.util.Arrays.toString(latentShape) + " for probabilities " + probs.describe());
        Tensor out = Tensor.zeros(latentShape);
        for (int bi = 0; bi < b; bi++) {
            double[][] dv = valueGrad(probs, dctx, bi);
            for (int j = 0; j < t; j++) for (int r = 0; r < rank; r++) {
                double acc = 0;
                for (int x = 0; x < width; x++) acc += dv[j][x] * wuv.data[r * width + x];
                out.data[(bi * t + j) * rank + r] = acc;
            }
        }
        return out;
    }

    /** Latent context's gradient to W_UV on this shard's heads: {@code Σ_{b,j} latent[b, j, r] dV[b, j, h·v + x]}. */
    static Tensor mlaValueUp(Tensor probs, Tensor latent, Tensor dctx) {
        int b = probs.shape[0], t = probs.shape[3], rank = latent.shape[2], width = dctx.last();
        Tensor out = Tensor.zeros(rank, width);
        for (int bi = 0; bi < b; bi++) {
            double[][] dv = valueGrad(probs, dctx, bi);
            for (int j = 0; j < t; j++) for (int r = 0; r < rank; r++) {
                double c = latent.data[(bi * t + j) * rank + r];
                if (c == 0) continue;
                for (int x = 0; x < width; x++) out.data[r * width + x] += c * dv[j][x];
            }
        }
        return out;
    }

    // ---- attention (prefill and training: causal, no KV cache) ----

    /** Queries' gradient: dq[b, i, h, e] = scale · Σ_j dS[b, h, i, j] · k[b, j, g(h), e]. */
    static Tensor scoresQuery(Tensor dS, Tensor k, int d, Attention.Where w) {
        int b = dS.shape[0], heads = dS.shape[1], s = dS.shape[2], t = dS.shape[3];
        int kvWidth = k.shape[2];
        Tensor dq = Tensor.zeros(b, s, heads * d);
        double scale = 1 / Math.sqrt(d);
        for (int bi = 0; bi < b; bi++) for (int h = 0; h < heads; h++) {
            int g = Attention.group(h, kvWidth / d, w);
            for (int i = 0; i < s; i++) for (int j = 0; j < t; j++) {
                double ds = dS.data[((bi * heads + h) * s + i) * t + j];
                if (ds == 0) continue;
                for (int e = 0; e < d; e++) dq.data[(bi * s + i) * heads * d + h * d + e] += scale * ds * k.data[(bi * t + j) * kvWidth + g * d + e];
            }
        }
        return dq;
    }

    /** Keys' gradient: dk[b, j, g, e] = scale · Σ over this shard's query heads of group g and its positions i of dS[b, h, i, j] · q[b, i, h, e]. */
    static Tensor scoresKey(Tensor dS, Tensor q, int d, int kvWidth, Attention.Where w) {
        int b = dS.shape[0], heads = dS.shape[1], s = dS.shape[2], t = dS.shape[3];
        Tensor dk = Tensor.zeros(b, t, kvWidth);
        double scale = 1 / Math.sqrt(d);
        for (int bi = 0; bi < b; bi++) for (int h = 0; h < heads; h++) {
            int g = Attention.group(h, kvWidth / d, w);
            for (int i = 0; i < s; i++) for (int j = 0; j < t; j++) {
                double ds = dS.data[((bi * heads + h) * s + i) * t + j];
                if (ds == 0) continue;
                for (int e = 0; e < d; e++) dk.data[(bi * t + j) * kvWidth + g * d + e] += scale * ds * q.data[(bi * s + i) * heads * d + h * d + e];
            }
        }
        return dk;
    }

    /** Probabilities' gradient: dP[b, h, i, j] = Σ_e dctx[b, i, h, e] · v[b, j, g(h), e]. */
    static Tensor contextProbs(Tensor dctx, Tensor v, int d, Attention.Where w) {
        int b = dctx.shape[0], s = dctx.shape[1], heads = dctx.shape[2] / d, t = v.shape[1];
        int kvWidth = v.shape[2];
        Tensor dp = Tensor.zeros(b, heads, s, t);
        for (int bi = 0; bi < b; bi++) for (int h = 0; h < heads; h++) {
            int g = Attention.group(h, kvWidth / d, w);
            for (int i = 0; i < s; i++) for (int j = 0; j < t; j++) {
                double sum = 0;
                for (int e = 0; e < d; e++) sum += dctx.data[(bi * s + i) * heads * d + h * d + e] * v.data[(bi * t + j) * kvWidth + g * d + e];
                dp.data[((bi * heads + h) * s + i) * t + j] = sum;
            }
        }
        return dp;
    }

    /** Values' gradient: dv[b, j, g, e] = Σ over this shard's query heads of group g and positions i of P[b, h, i, j] · dctx[b, i, h, e]. */
    static Tensor contextValue(Tensor probs, Tensor dctx, int d, int kvWidth, Attention.Where w) {
        int b = probs.shape[0], heads = probs.shape[1], s = probs.shape[2], t = probs.shape[3];
        Tensor dv = Tensor.zeros(b, t, kvWidth);
        for (int bi = 0; bi < b; bi++) for (int h = 0; h < heads; h++) {
            int g = Attention.group(h, kvWidth / d, w);
            for (int i = 0; i < s; i++) for (int j = 0; j < t; j++) {
                double p = probs.data[((bi * heads + h) * s + i) * t + j];
                if (p == 0) continue;
                for (int e = 0; e < d; e++) dv.data[(bi * t + j) * kvWidth + g * d + e] += p * dctx.data[(bi * s + i) * heads * d + h * d + e];
            }
        }
        return dv;
    }
}
