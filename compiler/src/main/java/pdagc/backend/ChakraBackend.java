package pdagc.backend;

import ChakraProtoMsg.EtDef.AttributeProto;
import ChakraProtoMsg.EtDef.CollectiveCommType;
import ChakraProtoMsg.EtDef.GlobalMetadata;
import ChakraProtoMsg.EtDef.Node;
import ChakraProtoMsg.EtDef.NodeType;
import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import pdagc.analysis.Analysis;
import pdagc.analysis.CollectiveCost;
import pdagc.analysis.NodeCosts;
import pdagc.dag.InEdges;
import pdagc.dag.PlanDag;
import pdagc.dag.Schedules;
import pdagc.ir.CollectiveKind;
import pdagc.ir.Op;
import pdagc.mesh.Mesh;
import pdagc.spmd.SpmdNode;

/**
 * A plan as Chakra execution traces (MLCommons Chakra's {@code et_def.proto}, which ASTRA-sim
 * reads): one trace per rank, a varint32-length-delimited {@link GlobalMetadata} and then one
 * {@link Node} per node of the rank's schedule, and a communicator-group file that names every
 * group a collective runs over.
 *
 * <p>Written from the plan's closed form ({@link Schedules}): the ranks of one pipeline stage run
 * one schedule, so a node's id, name, dependencies and (with costs kept per role) costs are the
 * same on each of them; the serialized bytes of every node that is not a communication are made
 * once per stage and copied into each rank's trace, and only a collective's group and a send's or
 * recv's peer are made per rank. Memory grows with the program times the stages, never with the
 * ranks or the nodes.
 *
 * <p>What each field means, and which attribute types are written (those the Chakra feeders read),
 * is documented in {@code docs/commands.md}.
 */
public final class ChakraBackend {
    /** The trace format's version in {@link GlobalMetadata}: Chakra's generator writes "1.0.0". */
    public static final String SCHEMA_VERSION = "1.0.0";

    private static final JsonFactory JSON = new JsonFactoryBuilder()
            .disable(StreamWriteFeature.AUTO_CLOSE_TARGET)
            .build();

    private final String deployment;
    private final String step;
    private final Schedules s;
    private final Mesh mesh;
    private final List<SpmdNode> ops;
    private final NodeCosts costs;
    private final int microBatches;
    /** Per stage and position: the serialized node where it is the same on every rank of the stage, else null. */
    private final byte[][][] shared;
    /** Per stage and position: the node without its per-rank fields (communications only). */
    private final Node[][] templates;
    /** The groups: per distinct set of collective axes (in mesh order, joined by '+'), its first group id. */
    private final Map<String, Integer> groupBase = new LinkedHashMap<>();
    private final Map<String, List<String>> groupAxes = new LinkedHashMap<>();
    /** Per collective op: its axes' key in {@link #groupBase}. */
    private final String[] groupKey;

    private ChakraBackend(String deployment, String step, PlanDag.ClosedForm plan, Analysis analysis) {
        this.deployment = deployment;
        this.step = step;
        this.s = plan.schedules();
        this.mesh = s.mesh();
        this.ops = s.program().nodes();
        this.costs = analysis.nodes();
        this.microBatches = s.program().pipeline().microBatches();
        groupKey = new String[ops.size()];
        int next = 1;   // ASTRA-sim reads group "0" (and "") as all ranks: ids start at 1
        for (SpmdNode op : ops) {
            if (!(op.op() instanceof Op.Collective c)) continue;
            List<String> axes = new ArrayList<>();
            for (Mesh.Axis a : mesh.axes()) if (c.axes().contains(a.name())) axes.add(a.name());
            String key = String.join("+", axes);
            groupKey[op.id()] = key;
            if (!groupBase.containsKey(key)) {
                groupBase.put(key, next);
                groupAxes.put(key, List.copyOf(axes));
                next = Math.addExact(next, mesh.size() / mesh.size(axes));
            }
        }
        int stages = s.stages();
        shared = new byte[stages][][];
        templates = new Node[stages][];
        boolean perRole = costs.perRole();
        for (int st = 0; st < stages; st++) {
            int length = s.length(st);
            shared[st] = new byte[length][];
            templates[st] = new Node[length];
            int rank = s.rankOfStage(st, 0);
            InEdges in = new InEdges(s);
            for (int k = 0; k < length; k++) {
                Node node = template(rank, st, k, in);
                if (isCommunication(s.op(st, k).op()) || !perRole) templates[st][k] = node;
                else shared[st][k] = delimited(node);
            }
        }
    }

    /**
     * The traces of one step of a plan. {@code step} names it in the metadata (the workload's
     * phase: prefill, decode or train). The plan must be in closed form.
     */
    public static ChakraBackend of(String deployment, String step, PlanDag plan, Analysis analysis) {
        if (!(plan instanceof PlanDag.ClosedForm closed)) throw new IllegalArgumentException("Chakra traces are written from a plan in closed form");
        return new ChakraBackend(deployment, step, closed, analysis);
    }

    public int ranks() {
        return s.ranks();
    }

    private static boolean isCommunication(Op op) {
        return op instanceof Op.Collective || op instanceof Op.Transfer;
    }

    /** The node at position {@code k} of stage {@code st}, with everything but a communication's per-rank fields. */
    private Node template(int rank, int st, int k, InEdges in) {
        SpmdNode op = s.op(st, k);
        int index = Math.toIntExact(s.firstNode(rank) + k);
        Node.Builder b = Node.newBuilder().setId(k).setName(s.localName(st, k));
        // Dependencies: the node's inputs on its own rank (a recv's input is its send, on the peer,
        // and a collective's peers' inputs are the peers': neither is a dependency within the file),
        // then the node before it in the rank's schedule, which pdagc runs one node at a time.
        long[] deps = new long[in.into(rank, st, k).degree() + 1];
        int n = 0;
        while (in.next()) if (in.fromRank() == rank && !in.fromPeer()) deps[n++] = in.fromPosition();   // data, routing and order edges
        if (k > 0) deps[n++] = k - 1;
        long[] unique = Arrays.stream(deps, 0, n).distinct().toArray();
        for (long d : unique) b.addDataDeps(d);
        b.setDurationMicros(Math.round(costs.seconds(index) * 1e6));
        if (op.op() instanceof Op.Collective c) {
            CollectiveCost cc = costs.collective(index);
            b.setType(NodeType.COMM_COLL_NODE)
                    .addAttr(bool("is_cpu_op", false))
                    .addAttr(int64("comm_type", commType(c.collective()).getNumber()))
                    .addAttr(int64("comm_size", commSize(c.collective(), cc)));
        } else if (op.op() instanceof Op.Transfer t) {
            CollectiveCost cc = costs.collective(index);
            b.setType(t.send() ? NodeType.COMM_SEND_NODE : NodeType.COMM_RECV_NODE)
                    .addAttr(bool("is_cpu_op", false))
                    .addAttr(int64("comm_size", cc.bufferBytes()));
        } else {
            b.setType(NodeType.COMP_NODE)
                    .addAttr(bool("is_cpu_op", false))
                    .addAttr(int64("num_ops", costs.flops(index)))
                    .addAttr(uint64("tensor_size", costs.bytes(index)));
        }
        return b.build();
    }

    /** Chakra's collective type of a pdagc collective. */
    static CollectiveCommType commType(CollectiveKind kind) {
        return switch (kind) {
            case ALL_REDUCE -> CollectiveCommType.ALL_REDUCE;
            case ALL_GATHER -> CollectiveCommType.ALL_GATHER;
            case REDUCE_SCATTER -> CollectiveCommType.REDUCE_SCATTER;
            case ALL_TO_ALL -> CollectiveCommType.ALL_TO_ALL;
            case SEND, RECV -> throw new IllegalArgumentException("a send or recv is a point-to-point node, not a collective");
        };
    }

    /**
     * A collective's {@code comm_size} as ASTRA-sim reads it: the buffer each member passes in.
     * ASTRA-sim's collective algorithms (Ring, HalvingDoubling) take an all-gather's size as each
     * member's input and gather n times it, a reduce-scatter's as the whole input and keep 1/n; an
     * all-reduce's and an all-to-all's input and output are the same size. pdagc's
     * {@link CollectiveCost#bufferBytes()} is the larger of input and output, so an all-gather's
     * is divided by its members (exactly: its output is n times its input).
     */
    static long commSize(CollectiveKind kind, CollectiveCost cc) {
        if (kind == CollectiveKind.ALL_GATHER) {
            if (cc.members() == 0 || cc.bufferBytes() % cc.members() != 0) throw new IllegalStateException("an all-gather's output is not its members times its input");
            return cc.bufferBytes() / cc.members();
        }
        return cc.bufferBytes();
    }

    /** The communicator group id of collective op {@code op} on rank {@code rank}. */
    public int groupId(int rank, int op) {
        String key = groupKey[op];
        return groupBase.get(key) + mesh.groupIndex(rank, groupAxes.get(key));
    }

    /** The tag of the transfer whose send is SPMD op {@code sendOp}, in micro-batch {@code mb}: the same on the send and its recv. */
    int tag(int sendOp, int mb) {
        long tag = (long) sendOp * microBatches + mb;
        if (tag > Integer.MAX_VALUE) throw new IllegalStateException("transfer tag " + tag + " exceeds Chakra's int32 comm_tag");
        return (int) tag;
    }

    /** Writes rank {@code rank}'s trace to {@code out} (not closed). */
    public void writeRank(int rank, OutputStream out) throws IOException {
        metadata(rank).writeDelimitedTo(out);
        int st = s.stageOf(rank);
        InEdges in = costs.perRole() ? null : new InEdges(s);
        for (int k = 0; k < s.length(st); k++) {
            byte[] bytes = shared[st][k];
            if (bytes != null) {
                out.write(bytes);
                continue;
            }
            Node template = in == null ? templates[st][k] : template(rank, st, k, in);
            Op op = s.op(st, k).op();
            if (op instanceof Op.Collective) {
                template.toBuilder().addAttr(string("pg_name", Integer.toString(groupId(rank, s.opIndex(st, k))))).build().writeDelimitedTo(out);
            } else if (op instanceof Op.Transfer t) {
                int peer = s.peerOfTransfer(rank, t);
                int sendOp = t.send() ? s.opIndex(st, k) : s.op(st, k).inputs().get(0);
                template.toBuilder()
                        .addAttr(int32("comm_src", t.send() ? rank : peer))
                        .addAttr(int32("comm_dst", t.send() ? peer : rank))
                        .addAttr(int32("comm_tag", tag(sendOp, s.microBatch(st, k))))
                        .build().writeDelimitedTo(out);
            } else {
                template.writeDelimitedTo(out);
            }
        }
    }

    private GlobalMetadata metadata(int rank) {
        return GlobalMetadata.newBuilder().setVersion(SCHEMA_VERSION)
                .addAttr(string("producer", "pdagc"))
                .addAttr(string("deployment", deployment))
                .addAttr(string("step", step))
                .addAttr(int64("rank", rank))
                .addAttr(int64("world_size", s.ranks()))
                .build();
    }

    /**
     * Writes the communicator groups as ASTRA-sim's {@code --comm-group-configuration} reads them:
     * {@code {"<id>": [ranks ascending], ...}}, ids from 1, every group of every set of axes a
     * collective runs over.
     */
    public void writeGroups(OutputStream out) throws IOException {
        try (JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            int[] members = new int[0];
            for (Map.Entry<String, List<String>> e : groupAxes.entrySet()) {
                List<String> axes = e.getValue();
                int size = mesh.size(axes);
                int count = mesh.size() / size;
                if (members.length != size) members = new int[size];
                // group index i holds the ranks whose coordinates off these axes number i
                int[] firstOf = new int[count];
                Arrays.fill(firstOf, -1);
                for (int r = 0; r < mesh.size(); r++) {
                    int i = mesh.groupIndex(r, axes);
                    if (firstOf[i] < 0) firstOf[i] = r;
                }
                int base = groupBase.get(e.getKey());
                for (int i = 0; i < count; i++) {
                    g.writeFieldName(Integer.toString(base + i));
                    g.writeStartArray();
                    for (int m = 0; m < size; m++) g.writeNumber(mesh.member(firstOf[i], axes, m));
                    g.writeEndArray();
                }
            }
            g.writeEndObject();
            g.writeRaw('\n');
        }
    }

    private static byte[] delimited(Node node) {
        ByteArrayOutputStream b = new ByteArrayOutputStream(node.getSerializedSize() + 5);
        try {
            node.writeDelimitedTo(b);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return b.toByteArray();
    }

    private static AttributeProto bool(String name, boolean v) {
        return AttributeProto.newBuilder().setName(name).setBoolVal(v).build();
    }

    private static AttributeProto int64(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setInt64Val(v).build();
    }

    private static AttributeProto uint64(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setUint64Val(v).build();
    }

    private static AttributeProto int32(String name, int v) {
        return AttributeProto.newBuilder().setName(name).setInt32Val(v).build();
    }

    private static AttributeProto string(String name, String v) {
        return AttributeProto.newBuilder().setName(name).setStringVal(v).build();
    }
}
