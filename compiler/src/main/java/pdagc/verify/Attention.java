package pdagc.verify;

/**
 * Attention kernels on a fused QKV shard laid out by key/value group: for each group, its
 * {@code perGroup} query heads, then its key, then its value, each {@code d} wide. In decode the
 * keys and values of earlier positions come from a deterministic KV cache; the new token is the
 * last position. Prefill is causal.
 */
final class Attention {
    private Attention() {}

    /** The context that makes a shard's heads and sequences global. */
    record Where(long seed, int qkvOrigin, int batchOffset, int groupOffset, int contextLen, boolean decode) {}

    static Tensor scores(Tensor qkv, int perGroup, int d, int heads, Where w) {
        int b = qkv.shape[0];
        int s = qkv.shape[1];
        int x = qkv.shape[2];
        int groups = heads / perGroup;
        if (groups * (perGroup + 2) * d != x) throw new Kernels.EvalError("QKV shard of width " + x + " does not hold " + heads + " whole heads");
        int t = w.decode() ? w.contextLen() : s;
        Tensor out = Tensor.zeros(b, heads, s, t);
        double scale = 1 / Math.sqrt(d);
        for (int bi = 0; bi < b; bi++) {
            for (int h = 0; h < heads; h++) {
                int g = h / perGroup;
                int q = (g * (perGroup + 2) + h % perGroup) * d;
                for (int i = 0; i < s; i++) {
                    for (int j = 0; j < t; j++) {
                        int o = ((bi * heads + h) * s + i) * t + j;
                        if (!w.decode() && j > i) {
                            out.data[o] = Double.NEGATIVE_INFINITY;
                            continue;
                        }
                        double dot = 0;
                        for (int e = 0; e < d; e++) dot += qkv.data[(bi * s + i) * x + q + e] * kv(qkv, bi, j, g, e, 0, perGroup, d, w);
                        out.data[o] = dot * scale;
                    }
                }
            }
        }
        return out;
    }

    static Tensor context(Tensor probs, Tensor qkv, int perGroup, int d, Where w) {
        int b = probs.shape[0];
        int heads = probs.shape[1];
        int s = probs.shape[2];
        int t = probs.shape[3];
        Tensor out = Tensor.zeros(b, s, heads * d);
        for (int bi = 0; bi < b; bi++) {
            for (int h = 0; h < heads; h++) {
                int g = h / perGroup;
                for (int i = 0; i < s; i++) {
                    for (int j = 0; j < t; j++) {
                        double p = probs.data[((bi * heads + h) * s + i) * t + j];
                        if (p == 0) continue;
                        for (int e = 0; e < d; e++) out.data[(bi * s + i) * heads * d + h * d + e] += p * kv(qkv, bi, j, g, e, 1, perGroup, d, w);
                    }
                }
            }
        }
        return out;
    }

    /** Key (which 0) or value (1) element e of group g at position j: from the QKV tensor or the cache. */
    private static double kv(Tensor qkv, int bi, int j, int g, int e, int which, int perGroup, int d, Where w) {
        int s = qkv.shape[1];
        int x = qkv.shape[2];
        int pos = w.decode() ? j - (w.contextLen() - 1) : j;
        if (pos >= 0) return qkv.data[(bi * s + pos) * x + (g * (perGroup + 2) + perGroup + which) * d + e];
        return cache(w.seed(), w.qkvOrigin(), which, bi + w.batchOffset(), j, g + w.groupOffset(), e);
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
