package pdagc.backend;

import java.util.ArrayList;
import java.util.List;

/**
 * Writes a sorted list of GPU ids compactly, so that a group of 64 GPUs fits in a label: runs of
 * consecutive ids become {@code 0-63}, other arithmetic runs of three or more become
 * {@code 0,4,...,60}, and single ids stay as they are ({@code 0-3,8,10,12,...,20}).
 */
public final class GpuRanges {
    private GpuRanges() {}

    public static String format(List<Integer> ids) {
        List<String> parts = new ArrayList<>();
        int i = 0;
        while (i < ids.size()) {
            int end = runEnd(ids, i);
            parts.add(part(ids, i, end));
            i = end + 1;
        }
        return String.join(",", parts);
    }

    /** The last index of the arithmetic run that starts at {@code start}; the run is worth keeping at length 3. */
    private static int runEnd(List<Integer> ids, int start) {
        if (start + 2 >= ids.size()) return start;
        int step = ids.get(start + 1) - ids.get(start);
        if (step <= 0 || ids.get(start + 2) - ids.get(start + 1) != step) return start;
        int end = start + 2;
        while (end + 1 < ids.size() && ids.get(end + 1) - ids.get(end) == step) end++;
        return end;
    }

    private static String part(List<Integer> ids, int start, int end) {
        if (start == end) return Integer.toString(ids.get(start));
        int step = ids.get(start + 1) - ids.get(start);
        if (step == 1) return ids.get(start) + "-" + ids.get(end);
        return ids.get(start) + "," + ids.get(start + 1) + ",...," + ids.get(end);
    }

    /** {@code GPU 5} or {@code GPUs 0-3}. */
    public static String gpus(List<Integer> ids) {
        return (ids.size() == 1 ? "GPU " : "GPUs ") + format(ids);
    }
}
