package pdagc.driver;

import java.util.Locale;
import java.util.function.Supplier;

/** Wall time of each pass on stderr when {@code PDAGC_TIMINGS=1}: how users and benchmarks see where time goes. */
public final class Timings {
    private static final boolean ON = "1".equals(System.getenv("PDAGC_TIMINGS"));

    private Timings() {}

    public static <T> T time(String pass, Supplier<T> work) {
        if (!ON) return work.get();
        long start = System.nanoTime();
        T result = work.get();
        System.err.printf(Locale.ROOT, "pdagc: %-20s %8.1f ms%n", pass, (System.nanoTime() - start) / 1e6);
        return result;
    }

    public static void time(String pass, Runnable work) {
        time(pass, () -> {
            work.run();
            return null;
        });
    }
}
