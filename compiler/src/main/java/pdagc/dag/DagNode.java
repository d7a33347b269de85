package pdagc.dag;

import java.util.List;
import pdagc.ir.NodeKind;
import pdagc.ir.Op;
import pdagc.ir.Shape;

/**
 * One operation on one GPU. {@code id} is stable ({@code "<gpu>:<path>"}); shapes are the local
 * shard's. {@code collective} and {@code group} are set on collective nodes only: the id shared by
 * all members of one collective call, and the members' GPU ids, ascending. {@code layer} is -1
 * outside the transformer layers. {@code program} is the index of the SPMD op this node instantiates;
 * {@code microBatch} which micro-batch it works on (0 without micro-batching). {@code op} is the SPMD
 * op it instantiates: code asks it what it is (a collective of which kind, a transfer), never its name.
 */
public record DagNode(
        int index,
        String id,
        int gpu,
        String name,
        Op op,
        NodeKind kind,
        int layer,
        List<Shape> inputs,
        Shape output,
        String collective,
        List<Integer> group,
        int program,
        int microBatch) {}
