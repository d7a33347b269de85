package pdagc.dag;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import pdagc.ir.Op;
import pdagc.ir.Shape;
import pdagc.mesh.Mesh;
import pdagc.mesh.MeshAxes;
import pdagc.mesh.Pipeline;
import pdagc.spmd.SpmdNode;
import pdagc.spmd.SpmdProgram;

/**
 * The per-GPU DAG in closed form: one schedule per pipeline stage (a sequence of SPMD op and
 * micro-batch) that every rank of the stage runs, and the arithmetic from a node or edge index to
 * (rank, position) and back. Ranks of one stage share their schedule, so this holds the program
 * times the stages, never anything per GPU or per node; the plan's nodes and edges are computed
 * from it when asked for, and the passes that need one GPU of each stage read it directly.
 *
 * <p>Node {@code i} of the plan is position {@code i - firstNode(r)} of rank {@code r}'s stage
 * schedule, ranks in order. The edges into one node, and their order, are {@link InEdges}'s.
 */
public final class Schedules {
    private final SpmdProgram program;
    private final Mesh mesh;
    private final List<SpmdNode> ops;
    private final int p;
    private final int stages;
    private final int ranksPerStage;
    private final int ppStride;
    private final boolean microBatched;
    /** Per stage: the op and micro-batch of each position of its schedule, and each position's first edge. */
    private final int[][] seqOp;
    private final int[][] seqMb;
    private final long[][] edgeStart;
    /**
     * Per stage: the position of (micro-batch, op) for the ops of the stage's chunks, at
     * {@code microBatch * stageOps[s] + stageLocal[op]}: micro-batches times the stage's ops, so
     * the stages together hold one entry per position, not one per op of the whole program.
     */
    private final int[][] position;
    private final int[] stageOps;
    private final int[] stageLocal;
    private final int[] stageOfOp;
    /** Per op: whether it runs once per step, and whether it belongs to the backward pass (training). */
    private final boolean[] perStep;
    private final boolean[] backward;
    /** Per stage: the nodes and edges of one rank. */
    private final long[] nodesPerRank;
    private final long[] edgesPerRank;
    /** Per stage: the nodes and edges of one rank of each stage before it (prefix sums). */
    private final long[] nodesBefore;
    private final long[] edgesBefore;
    /** Per op: the local shapes of its inputs, the same on every rank. */
    private final List<List<Shape>> inputShapes = new ArrayList<>();
    /**
     * Per collective op: its group as offsets from the group's first member (the group of rank 0,
     * ascending), and the strides and sizes of its axes, from which a rank's first member follows.
     */
    private final int[][] memberOffsets;
    private final int[][] axisStrides;
    private final int[][] axisSizes;

    Schedules(SpmdProgram program) {
        this.program = program;
        this.mesh = program.mesh();
        this.ops = program.nodes();
        this.p = ops.size();
        for (SpmdNode op : ops) {
            List<Shape> in = new ArrayList<>(op.inputs().size());
            for (int i : op.inputs()) in.add(ops.get(i).local());
            inputShapes.add(List.copyOf(in));
        }
        memberOffsets = new int[p][];
        axisStrides = new int[p][];
        axisSizes = new int[p][];
        for (SpmdNode op : ops) {
            if (!(op.op() instanceof Op.Collective c)) continue;
            int n = mesh.size(c.axes());
            memberOffsets[op.id()] = new int[n];
            for (int m = 0; m < n; m++) memberOffsets[op.id()][m] = mesh.member(0, c.axes(), m);
            List<Integer> strides = new ArrayList<>();
            List<Integer> sizes = new ArrayList<>();
            int stride = 1;
            for (int a = mesh.axes().size() - 1; a >= 0; a--) {
                if (c.axes().contains(mesh.axes().get(a).name())) {
                    strides.add(stride);
                    sizes.add(mesh.axes().get(a).size());
                }
                stride *= mesh.axes().get(a).size();
            }
            axisStrides[op.id()] = strides.stream().mapToInt(Integer::intValue).toArray();
            axisSizes[op.id()] = sizes.stream().mapToInt(Integer::intValue).toArray();
        }
        Pipeline pipeline = program.pipeline();
        this.microBatched = pipeline.microBatches() > 1;
        this.stages = pipeline.stages();
        this.ranksPerStage = mesh.size() / stages;
        int pp = mesh.index(MeshAxes.PP);
        int stride = 1;
        if (pp >= 0) for (int j = mesh.axes().size() - 1; j > pp; j--) stride *= mesh.axes().get(j).size();
        this.ppStride = stride;
        this.perStep = program.perStep();
        this.backward = program.backward();
        Units units = new Units(program, perStep, backward);
        stageOps = new int[stages];
        stageLocal = new int[p];
        stageOfOp = new int[p];
        for (SpmdNode op : ops) {
            int st = pipeline.stageOf(op.chunk());
            stageOfOp[op.id()] = st;
            stageLocal[op.id()] = stageOps[st]++;
        }
        seqOp = new int[stages][];
        seqMb = new int[stages][];
        edgeStart = new long[stages][];
        position = new int[stages][];
        nodesPerRank = new long[stages];
        edgesPerRank = new long[stages];
        for (int s = 0; s < stages; s++) {
            List<Pipeline.Unit> order = units.order(s);
            int length = 0;
            for (Pipeline.Unit unit : order) length += units.ops(unit).size();
            int[] stepOps = units.stepOps(s);
            length += stepOps.length;
            int[] pos = new int[Math.multiplyExact(pipeline.microBatches(), stageOps[s])];
            Arrays.fill(pos, -1);
            seqOp[s] = new int[length];
            seqMb[s] = new int[length];
            int k = 0;
            for (Pipeline.Unit unit : order) {
                for (int id : units.ops(unit)) {
                    pos[unit.microBatch() * stageOps[s] + stageLocal[id]] = k;
                    seqOp[s][k] = id;
                    seqMb[s][k] = unit.microBatch();
                    k++;
                }
            }
            // A training step's once-per-step ops close the stage's schedule (as micro-batch 0).
            for (int id : stepOps) {
                pos[stageLocal[id]] = k;
                seqOp[s][k] = id;
                seqMb[s][k] = 0;
                k++;
            }
            position[s] = pos;
            edgeStart[s] = new long[length + 1];
            for (k = 0; k < length; k++) edgeStart[s][k + 1] = edgeStart[s][k] + inDegree(s, k);
            nodesPerRank[s] = length;
            edgesPerRank[s] = edgeStart[s][length];
        }
        nodesBefore = new long[stages + 1];
        edgesBefore = new long[stages + 1];
        for (int s = 0; s < stages; s++) {
            nodesBefore[s + 1] = nodesBefore[s] + nodesPerRank[s];
            edgesBefore[s + 1] = edgesBefore[s] + edgesPerRank[s];
        }
    }

    /**
     * The size of the plan in closed form, before anything is allocated: its nodes and edges, and
     * the nodes of one rank of each stage (what validation and analysis walk, {@link Quotient}),
     * each saturating at {@link Long#MAX_VALUE}. A stage's rank runs each op of the stage's chunks
     * once per micro-batch; its edges are the ops' in-degrees per micro-batch, and an order edge
     * into the first position of each (micro-batch, chunk) unit after the first.
     */
    public static long[] size(SpmdProgram program) {
        return size(program, program.pipeline().microBatches());
    }

    /** {@link #size(SpmdProgram)} as if the program ran {@code mb} micro-batches through the same stages. */
    public static long[] size(SpmdProgram program, long mb) {
        Pipeline pipeline = program.pipeline();
        Mesh mesh = program.mesh();
        int stages = pipeline.stages();
        boolean[] step = program.perStep();
        boolean[] backward = program.backward();
        // Per stage: ops and in-degrees run per micro-batch, and those run once per step (an accumulation's input edges are one per micro-batch).
        long[] ops = new long[stages];
        long[] degree = new long[stages];
        long[] stepOps = new long[stages];
        long[] stepDegree = new long[stages];
        // Per chunk and phase (forward, backward): whether it has ops, for the order edges between units.
        boolean[][] busy = new boolean[2][pipeline.chunks()];
        for (SpmdNode op : program.nodes()) {
            int st = pipeline.stageOf(op.chunk());
            long d = op.inputs().size() + (op.op() instanceof Op.Collective c ? mesh.size(c.axes()) - 1 : 0);
            if (step[op.id()]) {
                stepOps[st]++;
                stepDegree[st] = plus(stepDegree[st], op.op() instanceof Op.Accumulate ? mb : d);
            } else {
                ops[st]++;
                degree[st] += d;
                busy[backward[op.id()] ? 1 : 0][op.chunk()] = true;
            }
        }
        long ranksPerStage = mesh.size() / stages;
        long nodes = 0, edges = 0, stageNodes = 0;
        for (int st = 0; st < stages; st++) {
            long units = 0;
            for (int c = st; c < pipeline.chunks(); c += stages) for (boolean[] b : busy) if (b[c]) units++;
            units = times(mb, units);
            if (stepOps[st] > 0) units++;
            long perRank = plus(times(mb, ops[st]), stepOps[st]);
            long perRankEdges = plus(plus(times(mb, degree[st]), stepDegree[st]), Math.max(0, units - 1));
            stageNodes = plus(stageNodes, perRank);
            nodes = plus(nodes, times(ranksPerStage, perRank));
            edges = plus(edges, times(ranksPerStage, perRankEdges));
        }
        return new long[] {nodes, edges, stageNodes};
    }

    /**
     * The units of a stage's schedule and the ops of each: a forward-only program runs each
     * (micro-batch, chunk) unit's ops; a training step runs a unit's forward or backward ops in
     * its schedule's training order, then the stage's once-per-step ops.
     */
    private static final class Units {
        private final Pipeline pipeline;
        private final boolean training;
        /** Per chunk: its ops per phase (0 forward, 1 backward); per stage: its once-per-step ops. */
        private final List<List<List<Integer>>> ofChunk = new ArrayList<>();
        private final List<List<Integer>> step = new ArrayList<>();

        Units(SpmdProgram program, boolean[] perStep, boolean[] backward) {
            this.pipeline = program.pipeline();
            this.training = program.training();
            for (int c = 0; c < pipeline.chunks(); c++) ofChunk.add(List.of(new ArrayList<>(), new ArrayList<>()));
            for (int s = 0; s < pipeline.stages(); s++) step.add(new ArrayList<>());
            for (SpmdNode op : program.nodes()) {
                if (perStep[op.id()]) step.get(pipeline.stageOf(op.chunk())).add(op.id());
                else ofChunk.get(op.chunk()).get(backward[op.id()] ? 1 : 0).add(op.id());
            }
        }

        List<Pipeline.Unit> order(int stage) {
            return training ? pipeline.trainingOrder(stage) : pipeline.order(stage);
        }

        List<Integer> ops(Pipeline.Unit unit) {
            return ofChunk.get(unit.chunk()).get(unit.backward() ? 1 : 0);
        }

        int[] stepOps(int stage) {
            return step.get(stage).stream().mapToInt(Integer::intValue).toArray();
        }
    }

    private static long times(long a, long b) {
        long hi = Math.multiplyHigh(a, b);
        long lo = a * b;
        return (hi == 0 && lo >= 0) ? lo : Long.MAX_VALUE;
    }

    private static long plus(long a, long b) {
        long r = a + b;
        return r < 0 ? Long.MAX_VALUE : r;
    }

    public SpmdProgram program() {
        return program;
    }

    public Mesh mesh() {
        return mesh;
    }

    public int ranks() {
        return mesh.size();
    }

    public int stages() {
        return stages;
    }

    public int ranksPerStage() {
        return ranksPerStage;
    }

    /** Whether node ids carry a micro-batch suffix. */
    public boolean microBatched() {
        return microBatched;
    }

    public int stageOf(int rank) {
        return stages == 1 ? 0 : (rank / ppStride) % stages;
    }

    /** The {@code i}-th rank (in rank order) of a stage: all coordinates but pp. */
    public int rankOfStage(int stage, int i) {
        if (stages == 1) return i;
        int below = i % ppStride;
        int above = i / ppStride;
        return (above * stages + stage) * ppStride + below;
    }

    /** Positions in a stage's schedule. */
    public int length(int stage) {
        return seqOp[stage].length;
    }

    /** The SPMD op at position {@code k} of a stage's schedule. */
    public SpmdNode op(int stage, int k) {
        return ops.get(seqOp[stage][k]);
    }

    public int opIndex(int stage, int k) {
        return seqOp[stage][k];
    }

    public int microBatch(int stage, int k) {
        return seqMb[stage][k];
    }

    /** The local shapes of an op's inputs. */
    public List<Shape> inputShapes(int op) {
        return inputShapes.get(op);
    }

    /** The position of (micro-batch, op) in a stage's schedule, or -1 when the stage does not run it. */
    public int position(int stage, int microBatch, int op) {
        return stageOfOp[op] != stage ? -1 : position[stage][microBatch * stageOps[stage] + stageLocal[op]];
    }

    /** Edges into position {@code k} of a stage's schedule (what {@link InEdges} enumerates). */
    public int inDegree(int s, int k) {
        int op = seqOp[s][k];
        return inputEdges(op) + peers(memberOffsets[op]) + (startsUnit(s, k) ? 1 : 0);
    }

    /** The data edges into an op's node: one per input, but an accumulation's one per micro-batch of its input. */
    int inputEdges(int op) {
        return ops.get(op).op() instanceof Op.Accumulate ? program.pipeline().microBatches() : ops.get(op).inputs().size();
    }

    /** Whether op {@code op} runs once per step (not once per micro-batch). */
    public boolean perStep(int op) {
        return perStep[op];
    }

    /** The peers of a collective with these member offsets (0 for an op that is not one). */
    static int peers(int[] memberOffsets) {
        return memberOffsets == null ? 0 : memberOffsets.length - 1;
    }

    /** Whether position {@code k} starts a new (micro-batch, chunk) unit after another: it has an order edge. */
    boolean startsUnit(int s, int k) {
        if (k == 0) return false;
        int a = seqOp[s][k], b = seqOp[s][k - 1];
        // The once-per-step ops are one unit, whatever chunks of the stage they belong to.
        if (perStep[a] && perStep[b]) return false;
        return seqMb[s][k] != seqMb[s][k - 1] || ops.get(a).chunk() != ops.get(b).chunk() || backward[a] != backward[b] || perStep[a] != perStep[b];
    }

    /** The index of the first edge into position {@code k}, counted from the rank's first edge. */
    public long firstEdge(int stage, int k) {
        return edgeStart[stage][k];
    }

    public long nodesPerRank(int stage) {
        return nodesPerRank[stage];
    }

    public long edgesPerRank(int stage) {
        return edgesPerRank[stage];
    }

    /** The plan index of rank {@code r}'s first node: ranks in order, each its stage's schedule. */
    public long firstNode(int rank) {
        return first(rank, nodesBefore, nodesPerRank);
    }

    /** The index of the first edge into rank {@code r}'s nodes. */
    public long firstEdgeOfRank(int rank) {
        return first(rank, edgesBefore, edgesPerRank);
    }

    /** The rank that holds node {@code i}. */
    public int rankOfNode(long i) {
        return rankAt(i, nodesBefore, nodesPerRank);
    }

    /** The rank that holds the target of edge {@code e}. */
    public int rankOfEdge(long e) {
        return rankAt(e, edgesBefore, edgesPerRank);
    }

    /** All nodes of the plan. */
    public long nodeCount() {
        return (long) ranks() / stages / ppStride * nodesBefore[stages] * ppStride;
    }

    public long edgeCount() {
        return (long) ranks() / stages / ppStride * edgesBefore[stages] * ppStride;
    }

    // Ranks run in blocks: rank = (above * stages + stage) * ppStride + below.
    private long first(int rank, long[] before, long[] per) {
        int below = rank % ppStride;
        int stage = stageOf(rank);
        long above = rank / ppStride / stages;
        return above * before[stages] * ppStride + before[stage] * ppStride + below * per[stage];
    }

    private int rankAt(long i, long[] before, long[] per) {
        long block = before[stages] * ppStride;
        if (i < 0 || block == 0 || i >= block * (ranks() / stages / ppStride)) throw new IndexOutOfBoundsException("index " + i);
        long above = i / block;
        long rest = i - above * block;
        int stage = 0;
        while (stage + 1 < stages && before[stage + 1] * ppStride <= rest) stage++;
        // stages with no nodes or edges are skipped: the first stage whose range holds rest
        while (per[stage] == 0 && stage + 1 < stages) stage++;
        long below = (rest - before[stage] * ppStride) / per[stage];
        return (int) ((above * stages + stage) * ppStride + below);
    }

    /** The peer of a send (the rank it sends to) or a recv (the rank it receives from). */
    public int peerOfTransfer(int rank, Op.Transfer t) {
        int peerStage = (t.send() ? t.toChunk() : t.fromChunk()) % stages;
        return rank + (peerStage - stageOf(rank)) * ppStride;
    }

    /**
     * The members of collective op {@code op}'s group as offsets from its first member, ascending
     * (shared: not to be changed); null for an op that is not a collective.
     */
    public int[] memberOffsets(int op) {
        return memberOffsets[op];
    }

    /** The first (lowest) member of the group of collective op {@code op} that holds {@code rank}. */
    public int firstMember(int rank, int op) {
        int[] strides = axisStrides[op];
        int[] sizes = axisSizes[op];
        int first = rank;
        for (int a = 0; a < strides.length; a++) first -= (rank / strides[a] % sizes[a]) * strides[a];
        return first;
    }

    /** A (rank, position) pair in one long. */
    public static long pack(int rank, int position) {
        return ((long) rank << 32) | (position & 0xffffffffL);
    }

    public static int rankOf(long packed) {
        return (int) (packed >>> 32);
    }

    public static int positionOf(long packed) {
        return (int) packed;
    }

    /** The node's name with its micro-batch suffix: the id without the rank. */
    public String localName(int s, int k) {
        String name = ops.get(seqOp[s][k]).name();
        return microBatched ? name + "@" + seqMb[s][k] : name;
    }

    /** The id collective nodes share across the members of one call, or null for a computation. */
    public String collectiveId(int r, int s, int k) {
        SpmdNode op = ops.get(seqOp[s][k]);
        String suffix = microBatched ? "@" + seqMb[s][k] : "";
        if (op.op() instanceof Op.Collective c) return op.name() + "#" + mesh.groupIndex(r, c.axes()) + suffix;
        if (op.op() instanceof Op.Transfer t) {
            SpmdNode send = t.send() ? op : ops.get(op.inputs().get(0));
            return send.name() + "#" + mesh.groupIndex(r, List.of(MeshAxes.PP)) + suffix;
        }
        return null;
    }

    /** The members of the call at position k of rank r, ascending; null for a computation. */
    public List<Integer> group(int r, int s, int k) {
        SpmdNode op = ops.get(seqOp[s][k]);
        int[] offsets = memberOffsets[op.id()];
        if (offsets != null) {
            int first = firstMember(r, op.id());
            Integer[] members = new Integer[offsets.length];
            for (int m = 0; m < members.length; m++) members[m] = first + offsets[m];
            return List.of(members);
        }
        if (op.op() instanceof Op.Transfer t) {
            int peer = peerOfTransfer(r, t);
            return List.of(Math.min(r, peer), Math.max(r, peer));
        }
        return null;
    }

    /** The node at position k of rank r, with plan index {@code index}. */
    public DagNode node(int index, int r, int s, int k) {
        SpmdNode op = ops.get(seqOp[s][k]);
        return new DagNode(index, r + ":" + localName(s, k), r, op.name(), op.op(), op.op().kind(), op.layer(),
                inputShapes.get(op.id()), op.local(), collectiveId(r, s, k), group(r, s, k), op.id(), seqMb[s][k]);
    }
}
