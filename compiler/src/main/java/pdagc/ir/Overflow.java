package pdagc.ir;

/**
 * A size, FLOP count or byte count that does not fit in a {@code long}. pdagc counts exactly, in
 * 64-bit integers; inputs large enough to overflow (a sequence of 10^9 tokens, 10^18 experts)
 * describe no deployment that could run. Every exact multiplication and addition of the IR and the
 * analysis goes through {@link #mul} and {@link #add}, so that an overflow anywhere is this
 * exception, which the driver reports as E0207 at the deploy, never a crash. Callers that know
 * what is being counted say so with {@link #in}.
 */
public final class Overflow extends ArithmeticException {
    private final String what;

    public Overflow(String what) {
        super(what);
        this.what = what;
    }

    /** What overflowed, for the diagnostic: "counting the FLOPs and bytes of `layers.0.attn.scores`". */
    public String what() {
        return what;
    }

    /** This overflow described at the caller, unless a callee already said what overflowed. */
    public Overflow in(String context) {
        return what.equals(GENERIC) ? new Overflow(context) : this;
    }

    private static final String GENERIC = "counting a size";

    public static long mul(long a, long b) {
        long hi = Math.multiplyHigh(a, b);
        long lo = a * b;
        if ((hi == 0 && lo >= 0) || (hi == -1 && lo < 0)) return lo;
        throw new Overflow(GENERIC);
    }

    public static long add(long a, long b) {
        long r = a + b;
        if (((a ^ r) & (b ^ r)) < 0) throw new Overflow(GENERIC);
        return r;
    }

    /** The product of the factors. */
    public static long product(long... factors) {
        long p = 1;
        for (long f : factors) p = mul(p, f);
        return p;
    }
}
