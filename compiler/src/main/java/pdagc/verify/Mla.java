package pdagc.verify;

/**
 * Multi-head latent attention kernels on shards, in the absorbed form that inference engines run:
 * keys and values are never materialized per head; the key up-projection W_UK is applied to the
 * queries and the value up-projection W_UV to the latent, so that the KV cache holds only the
 * latent (rank wide) and the rope key shared by all heads. Scores are scaled by
 * 1/sqrt(nope + rope) and causal in prefill; in decode the earlier positions' latent and rope key
 * come from a deterministic cache, like {@link Attention}'s keys and values.
 */
final class Mla {
    private Mla() {}

    /** Where a shard lies in the model, and which IR values the cache entries belong to. */
    record Where(long seed, int latentOrigin, int ropeOrigin, int batchOffset, int seqOffset, int contextLen, boolean decode) {}

    /**
     * Scores of q_nope [b, S, h·nope] and q_rope [b, S, h·rope] (h local heads) against the
     * latent [b, S, rank] and rope key [b, S, rope], through W_UK [rank, h·nope].
     */
    static Tensor scores(Tensor qNope, Tensor qRope, Tensor latent, Tensor kRope, Tensor wuk, int nope, int rope, Where w) {
        int b = qNope.shape[0];
        int s = qNope.shape[1];
        int heads = qNope.shape[2] / nope;
        int rank = latent.shape[2];
        if (wuk.shape[0] != rank || wuk.shape[1] != heads * nope) {
            throw new Kernels.EvalError("W_UK shard " + java.util.Arrays.toString(wuk.shape) + " does not fit " + heads + " heads of " + nope + " over a latent of " + rank);
        }
        if (qRope.shape[2] != heads * rope) throw new Kernels.EvalError("q_rope holds " + qRope.shape[2] / rope + " heads where q_nope holds " + heads);
        int t = w.decode() ? w.contextLen() : latent.shape[1];
        double scale = 1 / Math.sqrt(nope + rope);
        Tensor out = Tensor.zeros(b, heads, s, t);
        for (int bi = 0; bi < b; bi++) {
            for (int i = 0; i < s; i++) {
                int position = i + w.seqOffset();
                for (int h = 0; h < heads; h++) {
                    double[] absorbed = absorbed(qNope, wuk, nope, bi, i, h);
                    for (int j = 0; j < t; j++) {
                        int o = ((bi * heads + h) * s + i) * t + j;
                        if (!w.decode() && j > position) {
                            out.data[o] = Double.NEGATIVE_INFINITY;
                            continue;
                        }
                        double dot = 0;
                        for (int r = 0; r < rank; r++) dot += absorbed[r] * cached(latent, bi, j, r, w.latentOrigin(), t, w);
                        int qr = (bi * s + i) * heads * rope + h * rope;
                        for (int e = 0; e < rope; e++) dot += qRope.data[qr + e] * cached(kRope, bi, j, e, w.ropeOrigin(), t, w);
                        out.data[o] = dot * scale;
                    }
                }
            }
        }
        return out;
    }

    /** probs [b, h, S, T] times the values W_UV makes from the latent: [b, S, h·v]. */
    static Tensor context(Tensor probs, Tensor latent, Tensor wuv, Where w) {
        int b = probs.shape[0];
        int heads = probs.shape[1];
        int s = probs.shape[2];
        int t = probs.shape[3];
        int rank = latent.shape[2];
        if (wuv.shape[0] != rank || wuv.shape[1] % heads != 0) {
            throw new Kernels.EvalError("W_UV shard " + java.util.Arrays.toString(wuv.shape) + " does not fit " + heads + " heads over a latent of " + rank);
        }
        int width = wuv.shape[1];
        int v = width / heads;
        Tensor out = Tensor.zeros(b, s, width);
        for (int bi = 0; bi < b; bi++) {
            double[][] values = new double[t][width];
            for (int j = 0; j < t; j++) {
                for (int r = 0; r < rank; r++) {
                    double c = cached(latent, bi, j, r, w.latentOrigin(), t, w);
                    if (c == 0) continue;
                    for (int x = 0; x < width; x++) values[j][x] += c * wuv.data[r * width + x];
                }
            }
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < s; i++) {
                    for (int j = 0; j < t; j++) {
                        double p = probs.data[((bi * heads + h) * s + i) * t + j];
                        if (p == 0) continue;
                        for (int e = 0; e < v; e++) out.data[(bi * s + i) * width + h * v + e] += p * values[j][h * v + e];
                    }
                }
            }
        }
        return out;
    }

    /** Element e of a cached input at key position j: from the tensor, or in decode from the cache for earlier positions. */
    private static double cached(Tensor x, int bi, int j, int e, int origin, int t, Where w) {
        int s = x.shape[1];
        int width = x.shape[2];
        int pos = w.decode() ? j - (t - 1) : j;
        if (pos >= 0) return x.data[(bi * s + pos) * width + e];
        return Attention.cache(w.seed(), origin, 0, bi + w.batchOffset(), j, 0, e);
    }

    /**
     * The absorbed queries {@code a[b, i, h, r] = Σ_e q_nope[b, i, h, e] W_UK[r, h·nope + e]} and the
     * gradients that flow through them: {@code da = Σ_j G latent[b, j]}, G the scaled scores' gradient.
     */
    static double[] absorbed(Tensor qNope, Tensor wuk, int nope, int bi, int i, int h) {
        int s = qNope.shape[1], heads = qNope.shape[2] / nope, rank = wuk.shape[0];
        double[] a = new double[rank];
        int q = (bi * s + i) * heads * nope + h * nope;
        for (int r = 0; r < rank; r++) {
            double acc = 0;
            for (int e = 0; e < nope; e++) acc += qNope.data[q + e] * wuk.data[r * heads * nope + h * nope + e];
            a[r] = acc;
        }
        return a;
    }
}
