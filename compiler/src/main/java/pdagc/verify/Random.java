package pdagc.verify;

/** Deterministic pseudo-random numbers from coordinates (SplitMix64), the same on every run and platform. */
final class Random {
    private Random() {}

    static long mix(long z) {
        z += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Uniform in [-1, 1). */
    static double unit(long h) {
        return ((h >>> 11) * 0x1.0p-53) * 2 - 1;
    }

    /** A global tensor of uniform values in [-scale, scale), from a seed. */
    static Tensor tensor(int[] shape, long seed, double scale, double shift) {
        Tensor t = Tensor.zeros(shape);
        long h = mix(seed);
        for (int i = 0; i < t.data.length; i++) {
            h = mix(h);
            t.data[i] = shift + scale * unit(h);
        }
        return t;
    }
}
