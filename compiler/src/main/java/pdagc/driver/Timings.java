package pdagc.driver;

import java.util.Locale;
import java.util.function.Supplier;

/** Wall time of each pass on stderr when {@code PDAGC_TIMINGS=1}: how users and benchmarks see where time goes. */
public final class Timings {
    private static final boolean ON = "1".equals(System.getenv("PDAGC_TIMINGS"));

    static {
        if (ON) Runtime.getRuntime().addShutdownHook(new Thread(Timings::peakHeap));
    }

    private Timings() {}

    /** The sum of the heap pools' peak usage, printed at exit: the benchmark reads it. */
    private static void peakHeap() {
        long peak = 0;
        for (java.lang.management.MemoryPoolMXBean pool : java.lang.management.ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == java.lang.management.MemoryType.HEAP) peak += pool.getPeakUsage().getUsed();
        }
        System.err.printf(Locale.ROOT, "pdagc: %-20s %8.1f MB%n", "peak heap", peak / 1e6);
    }

    /** Prints a count (nodes, edges) when timings are on. */
    public static void count(String what, long n) {
        if (ON) System.err.printf(Locale.ROOT, "pdagc: %-20s %d%n", what, n);
    }

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
