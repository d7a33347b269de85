package pdagc.units;

import java.util.Map;

/**
 * The units the language knows, each with its dimension and its factor to the base unit.
 * Decimal prefixes are powers of 1000 (GB = 1e9 bytes, as in vendor data sheets), binary prefixes
 * powers of 1024 (GiB); lower-case b is bits (Gb/s = 1e9/8 bytes per second).
 */
public final class Units {
    private Units() {}

    /** One unit. */
    public record Unit(Dimension dimension, double factor) {}

    private static final Map<String, Unit> UNITS = Map.ofEntries(
            Map.entry("bytes", new Unit(Dimension.BYTES, 1)),
            Map.entry("KB", new Unit(Dimension.BYTES, 1e3)),
            Map.entry("MB", new Unit(Dimension.BYTES, 1e6)),
            Map.entry("GB", new Unit(Dimension.BYTES, 1e9)),
            Map.entry("TB", new Unit(Dimension.BYTES, 1e12)),
            Map.entry("KiB", new Unit(Dimension.BYTES, 1024.0)),
            Map.entry("MiB", new Unit(Dimension.BYTES, 1024.0 * 1024)),
            Map.entry("GiB", new Unit(Dimension.BYTES, 1024.0 * 1024 * 1024)),
            Map.entry("TiB", new Unit(Dimension.BYTES, 1024.0 * 1024 * 1024 * 1024)),
            Map.entry("KB/s", new Unit(Dimension.BYTES_PER_SECOND, 1e3)),
            Map.entry("MB/s", new Unit(Dimension.BYTES_PER_SECOND, 1e6)),
            Map.entry("GB/s", new Unit(Dimension.BYTES_PER_SECOND, 1e9)),
            Map.entry("TB/s", new Unit(Dimension.BYTES_PER_SECOND, 1e12)),
            Map.entry("KiB/s", new Unit(Dimension.BYTES_PER_SECOND, 1024.0)),
            Map.entry("MiB/s", new Unit(Dimension.BYTES_PER_SECOND, 1024.0 * 1024)),
            Map.entry("GiB/s", new Unit(Dimension.BYTES_PER_SECOND, 1024.0 * 1024 * 1024)),
            Map.entry("Kb/s", new Unit(Dimension.BYTES_PER_SECOND, 1e3 / 8)),
            Map.entry("Mb/s", new Unit(Dimension.BYTES_PER_SECOND, 1e6 / 8)),
            Map.entry("Gb/s", new Unit(Dimension.BYTES_PER_SECOND, 1e9 / 8)),
            Map.entry("Tb/s", new Unit(Dimension.BYTES_PER_SECOND, 1e12 / 8)),
            Map.entry("GFLOP/s", new Unit(Dimension.FLOPS_PER_SECOND, 1e9)),
            Map.entry("TFLOP/s", new Unit(Dimension.FLOPS_PER_SECOND, 1e12)),
            Map.entry("PFLOP/s", new Unit(Dimension.FLOPS_PER_SECOND, 1e15)),
            Map.entry("ns", new Unit(Dimension.SECONDS, 1e-9)),
            Map.entry("us", new Unit(Dimension.SECONDS, 1e-6)),
            Map.entry("ms", new Unit(Dimension.SECONDS, 1e-3)),
            Map.entry("s", new Unit(Dimension.SECONDS, 1)),
            Map.entry("tok/s", new Unit(Dimension.TOKENS_PER_SECOND, 1)),
            Map.entry("req/s", new Unit(Dimension.REQUESTS_PER_SECOND, 1)));

    /** The unit spelled like {@code word} but for case ({@code gb} for {@code GB}), if any; for hints. */
    public static java.util.Optional<String> spelledLike(String word) {
        return UNITS.keySet().stream().filter(u -> u.equalsIgnoreCase(word)).sorted().findFirst();
    }

    public static Unit of(String name) {
        Unit u = UNITS.get(name);
        if (u == null) throw new IllegalArgumentException("grammar and unit table disagree on unit " + name);
        return u;
    }

    /** Formats bytes the way people read memory sizes: GB with two decimals, and so on. */
    public static String bytes(double b) {
        if (b >= 1e12) return String.format(java.util.Locale.ROOT, "%.2f TB", b / 1e12);
        if (b >= 1e9) return String.format(java.util.Locale.ROOT, "%.2f GB", b / 1e9);
        if (b >= 1e6) return String.format(java.util.Locale.ROOT, "%.2f MB", b / 1e6);
        if (b >= 1e3) return String.format(java.util.Locale.ROOT, "%.2f KB", b / 1e3);
        return String.format(java.util.Locale.ROOT, "%.0f bytes", b);
    }

    public static String seconds(double s) {
        if (s >= 1) return String.format(java.util.Locale.ROOT, "%.3f s", s);
        if (s >= 1e-3) return String.format(java.util.Locale.ROOT, "%.3f ms", s * 1e3);
        return String.format(java.util.Locale.ROOT, "%.3f us", s * 1e6);
    }
}
