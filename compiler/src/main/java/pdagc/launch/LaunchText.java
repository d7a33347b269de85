package pdagc.launch;

/** Numbers as the launch scripts and imported files write them. */
public final class LaunchText {
    private LaunchText() {}

    /** A rate such as 0.1, without trailing zeros; 0 as {@code 0.0}. */
    public static String decimal(double p) {
        return p == 0 ? "0.0" : java.math.BigDecimal.valueOf(p).stripTrailingZeros().toPlainString();
    }
}
