package pdagc.javagen;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import pdagc.ir.Op;
import pdagc.spmd.SpmdNode;

/**
 * Splits a pipeline chunk's ops into methods, one per layer where it can: a JVM method holds at
 * most 64 KB of code, which one method for a whole chunk of a deep model would exceed. A method
 * boundary is allowed only where at most one value is live (the residual stream between layers),
 * so every method takes at most one tensor and gives at most one back; where more values cross a
 * layer boundary, the layers share a method. A send belongs with the ops before it, a recv with
 * the ops after it.
 */
final class Segments {
    private Segments() {}

    /** Consecutive ops of a chunk run by one method; {@code input} and {@code output} are the values crossing its ends, or null. */
    record Segment(String name, List<SpmdNode> ops, SpmdNode input, SpmdNode output) {}

    /**
     * The chunk's ops (in program order) as segments. {@code firstLayerOp} is the id of the
     * program's first op inside a layer, which tells ops before the layers from ops after them.
     */
    static List<Segment> of(List<SpmdNode> ops, List<SpmdNode> program, int firstLayerOp) {
        return of(ops, program, firstLayerOp, false, false);
    }

    /**
     * As above, for one unit of a training step's schedule when {@code unit} is set: an input made
     * by another unit (a forward value the backward pass reads, a micro-batch's weight gradient) is
     * loaded where it is used, not passed in, so it does not hold the segments together. With
     * {@code reversed} (a backward pass or the once-per-step ops, head first), ops outside the
     * layers before the first layer op are the head's ({@code afterLayers}), those after it the
     * embedding's ({@code beforeLayers}).
     */
    static List<Segment> of(List<SpmdNode> ops, List<SpmdNode> program, int firstLayerOp, boolean unit, boolean reversed) {
        if (ops.isEmpty()) return List.of();
        Map<Integer, Integer> position = new HashMap<>();
        for (int i = 0; i < ops.size(); i++) position.put(ops.get(i).id(), i);
        int[] lastUse = new int[ops.size()];
        java.util.Arrays.fill(lastUse, -1);
        for (int j = 0; j < ops.size(); j++) {
            SpmdNode n = ops.get(j);
            if (isRecv(n)) continue;
            for (int in : n.inputs()) {
                Integer p = position.get(in);
                if (p == null && unit) continue;
                if (p == null) throw new IllegalStateException("op " + n.name() + " uses " + program.get(in).name() + " of another pipeline chunk");
                lastUse[p] = Math.max(lastUse[p], j);
            }
        }
        List<String> keys = keys(ops, firstLayerOp, reversed);
        List<Integer> cuts = new ArrayList<>();
        cuts.add(0);
        for (int b = 1; b < ops.size(); b++) {
            if (!keys.get(b).equals(keys.get(b - 1)) && live(b, lastUse).size() <= 1) cuts.add(b);
        }
        cuts.add(ops.size());
        List<Segment> out = new ArrayList<>();
        for (int k = 0; k + 1 < cuts.size(); k++) {
            int from = cuts.get(k);
            int to = cuts.get(k + 1);
            List<Integer> in = live(from, lastUse);
            List<Integer> outgoing = live(to, lastUse);
            out.add(new Segment(name(keys.subList(from, to)), List.copyOf(ops.subList(from, to)), in.isEmpty() ? null : ops.get(in.get(0)),
                    outgoing.isEmpty() ? null : ops.get(outgoing.get(0))));
        }
        return out;
    }

    /** Positions of the values defined before boundary {@code b} and used at or after it. */
    private static List<Integer> live(int b, int[] lastUse) {
        List<Integer> out = new ArrayList<>();
        for (int p = 0; p < b && p < lastUse.length; p++) if (lastUse[p] >= b) out.add(p);
        return out;
    }

    private static boolean isRecv(SpmdNode n) {
        return n.op() instanceof Op.Transfer t && !t.send();
    }

    /** Each op's method key: its layer ({@code layer3}), or before/after the layers; transfers join their neighbours. */
    private static List<String> keys(List<SpmdNode> ops, int firstLayerOp, boolean reversed) {
        List<String> keys = new ArrayList<>();
        int firstLayer = ops.size();
        for (int i = ops.size() - 1; i >= 0; i--) if (ops.get(i).layer() >= 0) firstLayer = i;
        for (int i = 0; i < ops.size(); i++) {
            SpmdNode n = ops.get(i);
            if (n.layer() >= 0) keys.add("layer" + n.layer());
            else if (reversed) keys.add(i < firstLayer ? "afterLayers" : "beforeLayers");
            else keys.add(n.id() < firstLayerOp ? "beforeLayers" : "afterLayers");
        }
        for (int i = 0; i < ops.size(); i++) {
            if (!(ops.get(i).op() instanceof Op.Transfer t)) continue;
            int step = t.send() ? -1 : 1;
            for (int j = i + step; j >= 0 && j < ops.size(); j += step) {
                if (!(ops.get(j).op() instanceof Op.Transfer)) {
                    keys.set(i, keys.get(j));
                    break;
                }
            }
        }
        return keys;
    }

    /** A segment's method name: its key, or the first and last keys of the layers it spans. */
    private static String name(List<String> keys) {
        String first = keys.get(0);
        String last = keys.get(keys.size() - 1);
        return first.equals(last) ? first : first + "To" + Character.toUpperCase(last.charAt(0)) + last.substring(1);
    }
}
