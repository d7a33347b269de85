package pdagc.verify;

import pdagc.ir.Contraction;

/**
 * The reference kernels of the backward pass and the optimizer step, on shards: each is the exact
 * derivative of its forward kernel in {@link Kernels} or {@link Attention}, so that a plan's
 * gradients are compared with the unpartitioned model's in doubles.
 */
final class Backward {
    private Backward() {}

    /** A contraction's gradient ({@link pdagc.ir.Op.Grad#product()}): its first input against its second. */
    static Tensor product(Contraction product, Tensor first, Tensor second) {
        return Kernels.einsum(product, first, second);
    }

    /** The normalized input x̂ of a norm row and its inverse deviation. */
    private static double[] normalize(pdagc.ir.NormType type, Tensor x, int o, int h, double[] xhat) {
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
        double inv = 1 / Math.sqrt(var / h + Kernels.EPS);
        for (int i = 0; i < h; i++) xhat[i] = (x.data[o + i] - mean) * inv;
        return new double[] {inv};
    }

    /** A norm's input gradient: inv · (g - mean(g) - x̂·mean(g·x̂)) with g = dy·γ (RMSNorm: no mean(g) term). */
    static Tensor normInput(pdagc.ir.NormType type, Tensor x, Tensor gamma, Tensor dy) {
        int h = x.last();
        Tensor out = Tensor.zeros(x.shape);
        double[] xhat = new double[h];
        for (int r = 0; r < x.rows(); r++) {
            int o = r * h;
            double inv = normalize(type, x, o, h, xhat)[0];
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
            normalize(type, x, o, h, xhat);
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

    /** Cross-entropy per token: logsumexp(z) - z[label], logits [b, s, V] whole in V. */
    static Tensor loss(Tensor logits, Tensor tokens) {
        int v = logits.last();
        Tensor out = Tensor.zeros(tokens.shape);
        for (int r = 0; r < logits.rows(); r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < v; i++) max = Math.max(max, logits.data[r * v + i]);
            double sum = 0;
            for (int i = 0; i < v; i++) sum += Math.exp(logits.data[r * v + i] - max);
            out.data[r] = Math.log(sum) + max - logits.data[r * v + label(tokens.data[r], v)];
        }
        return out;
    }

    /** The logits' gradient of the mean loss over {@code total} tokens: (softmax(z) - onehot(label)) / total. */
    static Tensor lossInput(Tensor logits, Tensor tokens, long total) {
        Tensor p = Kernels.softmax(logits);
        int v = logits.last();
        for (int r = 0; r < logits.rows(); r++) {
            p.data[r * v + label(tokens.data[r], v)] -= 1;
            for (int i = 0; i < v; i++) p.data[r * v + i] /= total;
        }
        return p;
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

    // ---- attention (prefill and training: causal, no KV cache) ----

    /** Queries' gradient: dq[b, i, h, e] = scale · Σ_j dS[b, h, i, j] · k[b, j, g(h), e]. */
    static Tensor scoresQuery(Tensor dS, Tensor k, int d, Attention.Where w) {
        int b = dS.shape[0], heads = dS.shape[1], s = dS.shape[2], t = dS.shape[3];
        int kvWidth = k.shape[2];
        Tensor dq = Tensor.zeros(b, s, heads * d);
        double scale = 1 / Math.sqrt(d);
        for (int bi = 0; bi < b; bi++) for (int h = 0; h < heads; h++) {
            int g = group(h, kvWidth / d, w);
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
            int g = group(h, kvWidth / d, w);
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
            int g = group(h, kvWidth / d, w);
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
            int g = group(h, kvWidth / d, w);
            for (int i = 0; i < s; i++) for (int j = 0; j < t; j++) {
                double p = probs.data[((bi * heads + h) * s + i) * t + j];
                if (p == 0) continue;
                for (int e = 0; e < d; e++) dv.data[(bi * t + j) * kvWidth + g * d + e] += p * dctx.data[(bi * s + i) * heads * d + h * d + e];
            }
        }
        return dv;
    }

    /** The local key/value head of local query head h. */
    private static int group(int h, int held, Attention.Where w) {
        int g = (w.qHeadOffset() + h) / w.perGroup() - w.kvHeadOffset();
        if (g < 0 || g >= held) {
            throw new Kernels.EvalError("query head " + (w.qHeadOffset() + h) + " needs key/value head " + (g + w.kvHeadOffset()) + ", which this GPU does not hold");
        }
        return g;
    }
}
