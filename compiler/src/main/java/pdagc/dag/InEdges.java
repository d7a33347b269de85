package pdagc.dag;

import pdagc.ir.Op;
import pdagc.spmd.SpmdNode;

/**
 * The edges into one node of the per-GPU DAG, in the plan's order: the one definition of which
 * edges a node has and in what order, read by the plan's edge list ({@link PlanDag.ClosedForm}),
 * the quotient ({@link Quotient}) and the streamed JSON writer. The order: the node's inputs (a
 * recv's from its send on the peer stage), then for a collective one edge from each peer's input,
 * peers ascending, the node's own rank left out, then the order edge from the previous position
 * when the position starts a new (micro-batch, chunk) unit.
 *
 * <p>A cursor: {@link #into} picks the node, {@link #next} steps to each edge (or {@link #skip} to
 * the {@code j}-th), and the accessors read the current edge's source as (rank, SPMD op,
 * micro-batch), its kind and whether it comes from a collective peer. One cursor can be reused
 * from node to node and allocates nothing per edge, so the streamed writer runs one over millions
 * of edges. Not thread-safe: one per thread.
 */
public final class InEdges {
    private final Schedules s;
    // the node
    private int rank;
    private int stage;
    private int position;
    private SpmdNode op;
    private int microBatch;
    private Op.Transfer receive;
    private boolean accumulate;
    private int[] offsets;
    private int firstMember;
    private int inputsEnd;
    private int peersEnd;
    private int degree;
    private int next;
    // the current edge
    private int fromRank;
    private int fromOp;
    private int fromMicroBatch;
    private EdgeKind kind;
    private boolean fromPeer;

    public InEdges(Schedules s) {
        this.s = s;
    }

    /** Points the cursor before the first edge into position {@code position} of rank {@code rank}, of stage {@code stage}. */
    public InEdges into(int rank, int stage, int position) {
        this.rank = rank;
        this.stage = stage;
        this.position = position;
        int o = s.opIndex(stage, position);
        op = s.op(stage, position);
        microBatch = s.microBatch(stage, position);
        receive = op.op() instanceof Op.Transfer t && !t.send() ? t : null;
        offsets = s.memberOffsets(o);
        firstMember = offsets == null ? rank : s.firstMember(rank, o);
        accumulate = op.op() instanceof Op.Accumulate;
        inputsEnd = s.inputEdges(o);
        peersEnd = inputsEnd + Schedules.peers(offsets);
        degree = peersEnd + (s.startsUnit(stage, position) ? 1 : 0);
        next = 0;
        return this;
    }

    /** Skips the next {@code n} edges: the next {@link #next} steps to edge {@code j + n}. */
    public InEdges skip(int n) {
        next += n;
        return this;
    }

    /** The number of edges into the node. */
    public int degree() {
        return degree;
    }

    /** Steps to the next edge; false when there is none. */
    public boolean next() {
        int j = next;
        if (j < inputsEnd && accumulate) {
            // an accumulation sums its input over the step's micro-batches: one edge from each
            fromOp = op.inputs().get(0);
            fromRank = rank;
            kind = EdgeKind.DATA;
            fromMicroBatch = j;
            fromPeer = false;
        } else if (j < inputsEnd) {
            fromOp = op.inputs().get(j);
            if (receive != null) {
                fromRank = s.peerOfTransfer(rank, receive);
                kind = EdgeKind.DATA;
            } else {
                fromRank = rank;
                kind = op.routing().get(j) ? EdgeKind.ROUTING : EdgeKind.DATA;
            }
            fromMicroBatch = s.perStep(fromOp) ? 0 : microBatch;
            fromPeer = false;
        } else if (j < peersEnd) {
            // the peers in ascending order, this rank left out
            int i = j - inputsEnd;
            int g = firstMember + offsets[i];
            if (g >= rank) g = firstMember + offsets[i + 1];
            fromRank = g;
            fromOp = op.inputs().get(0);
            fromMicroBatch = microBatch;
            kind = EdgeKind.DATA;
            fromPeer = true;
        } else if (j < degree) {
            fromRank = rank;
            fromOp = s.opIndex(stage, position - 1);
            fromMicroBatch = s.microBatch(stage, position - 1);
            kind = EdgeKind.ORDER;
            fromPeer = false;
        } else {
            return false;
        }
        next = j + 1;
        return true;
    }

    /** The current edge's source rank. */
    public int fromRank() {
        return fromRank;
    }

    /** The SPMD op of the current edge's source. */
    public int fromOp() {
        return fromOp;
    }

    /** The micro-batch of the current edge's source. */
    public int fromMicroBatch() {
        return fromMicroBatch;
    }

    /** The source's position in its rank's stage schedule. */
    public int fromPosition() {
        return kind == EdgeKind.ORDER ? position - 1 : s.position(s.stageOf(fromRank), fromMicroBatch, fromOp);
    }

    public EdgeKind kind() {
        return kind;
    }

    /** Whether the current edge comes from a collective peer's input (not from the node's own rank). */
    public boolean fromPeer() {
        return fromPeer;
    }
}
