package pdagc.backend;

import java.util.ArrayList;
import java.util.List;
import pdagc.dag.DagNode;
import pdagc.ir.Shape;

/**
 * The text shown for one DAG node, as plain lines (escaping is the renderer's job): its op, its
 * name (the path in the model), its GPU, its local shapes, and a collective's group.
 *
 * <pre>
 * linear
 * layers.3.attn.qkv
 * GPU 5
 * [8,128,512] -> [8,128,384]
 * </pre>
 */
public final class NodeLabel {
    private NodeLabel() {}

    public static List<String> lines(DagNode node) {
        List<String> lines = new ArrayList<>();
        lines.add(node.op().name());
        if (!node.name().equals(node.op().name())) lines.add(node.name());
        // Ids carry "@<micro-batch>" exactly when the plan has several micro-batches.
        lines.add("GPU " + node.gpu() + (node.id().contains("@") ? ", micro-batch " + node.microBatch() : ""));
        lines.add(shapes(node));
        if (node.group() != null) lines.add("group " + GpuRanges.format(node.group()));
        return lines;
    }

    /** {@code [8,128,512], [8,128,512] -> [8,128,512]}; a node without inputs shows {@code -> [..]}. */
    public static String shapes(DagNode node) {
        List<String> in = new ArrayList<>();
        for (Shape s : node.inputs()) in.add(s.toString());
        String arrow = in.isEmpty() ? "-> " : " -> ";
        return String.join(", ", in) + arrow + node.output();
    }
}
