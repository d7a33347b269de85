package pdagc.verify;

/**
 * Attention kernels on shards: queries [b, S, heads·d], keys and values [b, S, kv·d]. Global
 * offsets place a shard's heads, sequences and
 * positions: query head h uses key/value head h / perGroup. In decode the keys and values of the
 * earlier positions come from a deterministic KV cache and the new token is the last position.
 * Prefill is causal.
 */
final class Attention {
    private Attention() {}

    /** Where a shard lies in the model: offsets of its batch, heads and query positions. */
    record Where(long seed, int kvOrigin, int batchOffset, int qHeadOffset, int kvHeadOffset, int perGroup, int seqOffset,
            int contextLen, boolean decode) {}

    static Tensor scores(Tensor q, Tensor kv, int d, Where w) {
        int b = q.shape[0];
        int s = q.shape[1];
        int heads = q.shape[2] / d;
        int t = w.decode() ? w.contextLen() : kv.shape[1];
        Tensor out = Tensor.zeros(b, heads, s, t);
        double scale = 1 / Math.sqrt(d);
        for (int bi = 0; bi < b; bi++) {
            for (int h = 0; h < heads; h++) {
                int g = group(h, kv, d, w);
                for (int i = 0; i < s; i++) {
                    int position = i + w.seqOffset();
                    for (int j = 0; j < t; j++) {
                        int o = ((bi * heads + h) * s + i) * t + j;
                        if (!w.decode() && j > position) {
                            out.data[o] = Double.NEGATIVE_INFINITY;
                            continue;
                        }
                        double dot = 0;
                        for (int e = 0; e < d; e++) dot += q.data[(bi * s + i) * heads * d + h * d + e] * kv(kv, bi, j, g, e, 0, d, w);
                        out.data[o] = dot * scale;
                    }
                }
            }
        }
        return out;
    }

    static Tensor context(Tensor probs, Tensor kv, int d, Where w) {
        int b = probs.shape[0];
        int heads = probs.shape[1];
        int s = probs.shape[2];
        int t = probs.shape[3];
        Tensor out = Tensor.zeros(b, s, heads * d);
        for (int bi = 0; bi < b; bi++) {
            for (int h = 0; h < heads; h++) {
                int g = group(h, kv, d, w);
                for (int i = 0; i < s; i++) {
                    for (int j = 0; j < t; j++) {
                        double p = probs.data[((bi * heads + h) * s + i) * t + j];
                        if (p == 0) continue;
                        for (int e = 0; e < d; e++) out.data[(bi * s + i) * heads * d + h * d + e] += p * kv(kv, bi, j, g, e, 1, d, w);
                    }
                }
            }
        }
        return out;
    }

    /** The local key/value head of local query head h; one the shard does not hold is a mismatch. */
    private static int group(int h, Tensor kv, int d, Where w) {
        return group(h, kv.shape[2] / d, w);
    }

    /** The local key/value head of local query head h, of the {@code held} this shard holds. */
    static int group(int h, int held, Where w) {
        int g = (w.qHeadOffset() + h) / w.perGroup() - w.kvHeadOffset();
        if (g < 0 || g >= held) {
            throw new Kernels.EvalError("query head " + (w.qHeadOffset() + h) + " needs key/value head " + (g + w.kvHeadOffset())
                    + ", which this GPU does not hold");
        }
        return g;
    }

    /** Key (which 0) or value (1) element e of local head g at position j: from the tensor or the cache. */
    private static double kv(Tensor kv, int bi, int j, int g, int e, int which, int d, Where w) {
        int s = kv.shape[1];
        int x = kv.shape[2];
        int pos = w.decode() ? j - (w.contextLen() - 1) : j;
        if (pos >= 0) return kv.data[(bi * s + pos) * x + g * d + e];
        return cache(w.seed(), w.kvOrigin(), which, bi + w.batchOffset(), j, g + w.kvHeadOffset(), e);
    }

    /** A deterministic cache entry from its global coordinates, uniform in [-1, 1). */
    static double cache(long seed, int origin, int which, int b, int pos, int group, int e) {
        long h = Random.mix(seed ^ Random.mix(origin * 31L + which));
        h = Random.mix(h ^ b);
        h = Random.mix(h ^ pos);
        h = Random.mix(h ^ group);
        h = Random.mix(h ^ e);
        return Random.unit(h);
    }
}
