package pdagc.analysis;

import java.util.Locale;

/**
 * Formats the analysis's figures that {@link pdagc.units.Units} does not: FLOPs, token rates and
 * shares, with decimal prefixes and a fixed locale, so reports and messages read the same everywhere.
 */
public final class Figures {
    private Figures() {}

    public static String flops(double f) {
        return scaled(f, "FLOP");
    }

    public static String tokensPerSecond(double t) {
        return scaled(t, "tok/s");
    }

    /** A request rate: {@code 4 req/s}, {@code 0.25 req/s}. */
    public static String rate(double requestsPerSecond) {
        return new java.math.BigDecimal(requestsPerSecond).round(new java.math.MathContext(4)).stripTrailingZeros().toPlainString() + " req/s";
    }

    public static String percent(double share) {
        return String.format(Locale.ROOT, "%.1f %%", share * 100);
    }

    private static String scaled(double v, String unit) {
        if (Double.isNaN(v)) return "n/a";
        String[] prefixes = {"", "K", "M", "G", "T", "P", "E"};
        int i = 0;
        while (i < prefixes.length - 1 && Math.abs(v) >= 1000) {
            v /= 1000;
            i++;
        }
        return String.format(Locale.ROOT, i == 0 ? "%.0f %s%s" : "%.2f %s%s", v, prefixes[i], unit);
    }
}
