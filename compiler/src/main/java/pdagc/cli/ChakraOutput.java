package pdagc.cli;

import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import pdagc.backend.ChakraBackend;
import pdagc.driver.MaterializedPlan;

/**
 * {@code --emit chakra -o DIR [--ranks LIST]}: the plan as Chakra execution traces, one
 * {@code <prefix>.<rank>.et} per rank and {@code <prefix>.comm_groups.json}, written below DIR all
 * or nothing and streamed rank by rank. The prefix is the deploy's name; a serving workload writes
 * its two steps, {@code <deploy>.prefill} and {@code <deploy>.decode}.
 */
final class ChakraOutput {
    private ChakraOutput() {}

    /** The file-name prefixes and traces of a plan's steps. */
    record Step(String prefix, ChakraBackend traces) {}

    static List<Step> steps(MaterializedPlan plan) {
        List<Step> steps = new ArrayList<>();
        boolean serving = !plan.servingSteps().isEmpty();
        String name = plan.deployment().name();
        for (MaterializedPlan p : plan.steps()) {
            String phase = p.deployment().workload().phase().keyword();
            steps.add(new Step(serving ? name + "." + phase : name, ChakraBackend.of(name, phase, p.dag(), p.analysis())));
        }
        return steps;
    }

    static int emit(MaterializedPlan plan, Path output, String ranks, PrintWriter err) {
        if (output == null || output.toString().equals("-")) {
            err.println("error: --emit chakra writes a trace per rank: name their directory with -o DIR");
            return Main.USAGE;
        }
        int world = plan.dag().gpus().size();
        BitSet selected;
        try {
            selected = ranks == null ? null : parseRanks(ranks, world);
        } catch (IllegalArgumentException e) {
            err.println("error: --ranks " + e.getMessage());
            return Main.USAGE;
        }
        List<Step> steps = steps(plan);
        long[] files = {0};
        int code = OutputDirectory.write(output, out -> {
            for (Step step : steps) {
                try (OutputStream o = out.open(step.prefix() + ".comm_groups.json")) {
                    step.traces().writeGroups(o);
                }
                for (int r = 0; r < step.traces().ranks(); r++) {
                    if (selected != null && !selected.get(r)) continue;
                    try (OutputStream o = out.open(step.prefix() + "." + r + ".et")) {
                        step.traces().writeRank(r, o);
                    }
                    files[0]++;
                }
            }
        }, err);
        if (code == Main.OK) {
            List<String> prefixes = new ArrayList<>();
            for (Step s : steps) prefixes.add(s.prefix());
            err.println("pdagc: wrote " + files[0] + " Chakra trace" + (files[0] == 1 ? "" : "s") + " (" + String.join(", ", prefixes) + ") and their communicator groups below " + output);
        }
        return code;
    }

    /**
     * Ranks as a comma-separated list of ranks and ranges ({@code 0-7,64,128-135}), each below
     * {@code world}. Throws with the message to print.
     */
    static BitSet parseRanks(String text, int world) {
        BitSet set = new BitSet(world);
        for (String part : text.split(",", -1)) {
            String p = part.strip();
            if (p.isEmpty()) throw new IllegalArgumentException("`" + text + "` has an empty item; write ranks and ranges like 0-7,64");
            int dash = p.indexOf('-', 1);
            int from = rank(p.substring(0, dash < 0 ? p.length() : dash), text, world);
            int to = dash < 0 ? from : rank(p.substring(dash + 1), text, world);
            if (to < from) throw new IllegalArgumentException("`" + p + "` is an empty range: it ends before it starts");
            set.set(from, to + 1);
        }
        return set;
    }

    private static int rank(String s, String text, int world) {
        int r;
        try {
            r = Integer.parseInt(s.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("`" + text + "`: `" + s.strip() + "` is not a rank; write ranks and ranges like 0-7,64");
        }
        if (r < 0 || r >= world) throw new IllegalArgumentException("`" + text + "`: rank " + r + " is outside the plan's " + world + " GPUs (0-" + (world - 1) + ")");
        return r;
    }
}
