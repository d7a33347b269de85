package pdagc.backend;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.io.NumberOutput;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import pdagc.analysis.Analysis;
import pdagc.analysis.NodeCosts;
import pdagc.dag.EdgeKind;
import pdagc.dag.InEdges;
import pdagc.dag.PlanDag;
import pdagc.dag.Schedules;
import pdagc.ir.Op;
import pdagc.ir.Shape;
import pdagc.mesh.Mesh;
import pdagc.mesh.MeshAxes;
import pdagc.spmd.SpmdNode;

/**
 * The {@code nodes} and {@code edges} arrays of a plan file, written from the plan's closed form
 * ({@link Schedules}) straight into a byte buffer: what every rank of a stage shares (an op's name,
 * kind, shapes and cost, a collective's member offsets) is encoded once, and each node or edge
 * adds only its rank, micro-batch and group. No node, edge or string is made per node, so plans of
 * millions of nodes stream at close to the speed of the disk.
 *
 * <p>Formatting and writing overlap: full buffers go to a writing thread ({@link WriteBehind}).
 *
 * <p>The bytes are exactly those of {@link JsonBackend}'s generic writer (a test holds the two
 * together); every fragment that holds a string or a double is encoded by the same Jackson
 * generator, so escaping and number formats cannot drift apart.
 */
final class JsonStream {
    private static final byte[] NODES_OPEN = ascii(",\n\"nodes\":[");
    private static final byte[] EDGES_OPEN = ascii(",\n\"edges\":[");
    private static final byte[] CLOSE = ascii("}\n");
    private static final byte[] NODE_ID = ascii("{\"id\":\"");
    private static final byte[] GPU = ascii("\",\"gpu\":");
    private static final byte[] GROUP = ascii(",\"group\":[");
    private static final byte[] FROM = ascii("{\"from\":\"");
    private static final byte[] TO = ascii("\",\"to\":\"");
    private static final byte[][] KIND = new byte[EdgeKind.values().length][];

    static {
        for (EdgeKind k : EdgeKind.values()) KIND[k.ordinal()] = ascii("\",\"kind\":\"" + k.json() + "\"}");
    }

    private final Schedules s;
    private final WriteBehind out;
    private byte[] buf;
    private int pos;
    /** Per op: its name (escaped, unquoted); the node's fields from "op" up to "micro_batch":; a collective's id prefix. */
    private final byte[][] name;
    private final byte[][] middle;
    private final byte[][] callPrefix;
    /** Per stage and position: the cost fields and the closing brace. */
    private final byte[][][] tail;

    private JsonStream(PlanDag.ClosedForm plan, NodeCosts costs, OutputStream out, JsonFactory factory) throws IOException {
        this.s = plan.schedules();
        List<SpmdNode> ops = s.program().nodes();
        pdagc.ir.Precision precision = plan.precision();
        name = new byte[ops.size()][];
        middle = new byte[ops.size()][];
        callPrefix = new byte[ops.size()][];
        Fragments f = new Fragments(factory);
        for (SpmdNode op : ops) {
            int i = op.id();
            name[i] = f.string(op.name());
            StringBuilder m = new StringBuilder();
            m.append(",\"op\":").append(f.text(op.op().name())).append(",\"kind\":").append(f.text(op.op().kind().json()));
            m.append(",\"layer\":").append(op.layer() < 0 ? "null" : Integer.toString(op.layer()));
            m.append(",\"name\":").append(f.text(op.name())).append(",\"inputs\":[");
            List<Shape> in = s.inputShapes(i);
            for (int k = 0; k < in.size(); k++) m.append(k > 0 ? "," : "").append(shape(in.get(k)));
            m.append("],\"output\":").append(shape(op.local())).append(",\"dtype\":").append(f.text(precision.dtypeOf(op.op(), op.name()).keyword()));
            // An all-reduce that takes the maximum says so (the loss's); a sum, every other, says nothing.
            if (op.op() instanceof Op.Collective c && c.reduction() != pdagc.ir.Reduction.SUM) m.append(",\"reduction\":").append(f.text(c.reduction().text()));
            m.append(",\"micro_batch\":");
            middle[i] = m.toString().getBytes(StandardCharsets.UTF_8);
            if (op.op() instanceof Op.Collective) {
                callPrefix[i] = concat(ascii(",\"collective\":\""), f.string(op.name()), ascii("#"));
            } else if (op.op() instanceof Op.Transfer t) {
                SpmdNode send = t.send() ? op : ops.get(op.inputs().get(0));
                callPrefix[i] = concat(ascii(",\"collective\":\""), f.string(send.name()), ascii("#"));
            }
        }
        tail = new byte[s.stages()][][];
        for (int st = 0; st < s.stages(); st++) {
            tail[st] = new byte[s.length(st)][];
            long first = s.firstNode(s.rankOfStage(st, 0));
            for (int k = 0; k < s.length(st); k++) tail[st][k] = costs == null ? ascii("}") : f.costs(costs, (int) (first + k));
        }
        // last, once nothing can fail before the writing thread is asked to finish
        this.out = new WriteBehind(out, 1 << 20);
        this.buf = this.out.first();
    }

    /**
     * Writes {@code ,"nodes":[...],"edges":[...]}} and a newline, the end of the plan file whose
     * other fields {@link JsonBackend} has written. {@code analysis} may be null; when it is not,
     * its costs must be kept per role (its quotient symmetric).
     */
    static void write(PlanDag.ClosedForm plan, Analysis analysis, OutputStream out, JsonFactory factory) throws IOException {
        JsonStream w = new JsonStream(plan, analysis == null ? null : analysis.nodes(), out, factory);
        try {
            w.raw(NODES_OPEN);
            w.closeArray(w.nodes());
            w.raw(EDGES_OPEN);
            w.closeArray(w.edges());
            w.raw(CLOSE);
            w.flush();
        } finally {
            w.out.finish();
        }
    }

    /** The plan layout's array ends: a newline before the bracket when the array has elements. */
    private void closeArray(boolean empty) throws IOException {
        if (!empty) put('\n');
        put(']');
    }

    /** Separates elements, one per line: a newline after the opening bracket, a comma and newline between. */
    private void separate(boolean first) throws IOException {
        ensure(2);
        if (!first) buf[pos++] = ',';
        buf[pos++] = '\n';
    }

    /** Writes the nodes; returns whether there were none. */
    private boolean nodes() throws IOException {
        Mesh mesh = s.mesh();
        List<SpmdNode> ops = s.program().nodes();
        boolean first = true;
        for (int r = 0; r < s.ranks(); r++) {
            int st = s.stageOf(r);
            for (int k = 0; k < s.length(st); k++) {
                int op = s.opIndex(st, k);
                int mb = s.microBatch(st, k);
                separate(first);
                first = false;
                raw(NODE_ID);
                id(r, op, mb);
                raw(GPU);
                integer(r);
                raw(middle[op]);
                integer(mb);
                SpmdNode n = ops.get(op);
                if (n.op() instanceof Op.Collective c) {
                    raw(callPrefix[op]);
                    integer(mesh.groupIndex(r, c.axes()));
                    microBatch(mb);
                    put('"');
                    raw(GROUP);
                    int base = s.firstMember(r, op);
                    int[] off = s.memberOffsets(op);
                    for (int m = 0; m < off.length; m++) {
                        ensure(16);
                        if (m > 0) buf[pos++] = ',';
                        integer(base + off[m]);
                    }
                    put(']');
                } else if (n.op() instanceof Op.Transfer t) {
                    raw(callPrefix[op]);
                    integer(mesh.groupIndex(r, PP));
                    microBatch(mb);
                    put('"');
                    raw(GROUP);
                    int peer = s.peerOfTransfer(r, t);
                    integer(Math.min(r, peer));
                    put(',');
                    integer(Math.max(r, peer));
                    put(']');
                }
                raw(tail[st][k]);
            }
        }
        return first;
    }

    private static final List<String> PP = List.of(MeshAxes.PP);

    /** Writes the edges in the plan's order ({@link InEdges}). Returns whether there were none. */
    private boolean edges() throws IOException {
        InEdges in = new InEdges(s);
        boolean first = true;
        for (int r = 0; r < s.ranks(); r++) {
            int st = s.stageOf(r);
            for (int k = 0; k < s.length(st); k++) {
                int op = s.opIndex(st, k);
                int mb = s.microBatch(st, k);
                in.into(r, st, k);
                while (in.next()) first = edge(first, in.fromRank(), in.fromOp(), in.fromMicroBatch(), r, op, mb, in.kind());
            }
        }
        return first;
    }

    private boolean edge(boolean first, int fromRank, int fromOp, int fromMb, int toRank, int toOp, int toMb, EdgeKind kind) throws IOException {
        separate(first);
        raw(FROM);
        id(fromRank, fromOp, fromMb);
        raw(TO);
        id(toRank, toOp, toMb);
        raw(KIND[kind.ordinal()]);
        return false;
    }

    /** A node's id: rank, colon, name, and the micro-batch where ids carry one. */
    private void id(int rank, int op, int mb) throws IOException {
        ensure(name[op].length + 24);
        integer(rank);
        buf[pos++] = ':';
        raw(name[op]);
        microBatch(mb);
    }

    private void microBatch(int mb) throws IOException {
        if (!s.microBatched()) return;
        put('@');
        integer(mb);
    }

    private static String shape(Shape s) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < s.rank(); i++) b.append(i > 0 ? "," : "").append(s.dim(i));
        return b.append(']').toString();
    }

    private void raw(byte[] b) throws IOException {
        if (b.length <= buf.length - pos) {
            System.arraycopy(b, 0, buf, pos, b.length);
            pos += b.length;
            return;
        }
        for (int at = 0; at < b.length; ) {   // a fragment longer than what is left: in pieces
            if (pos == buf.length) flush();
            int n = Math.min(b.length - at, buf.length - pos);
            System.arraycopy(b, at, buf, pos, n);
            pos += n;
            at += n;
        }
    }

    private void put(char c) throws IOException {
        ensure(1);
        buf[pos++] = (byte) c;
    }

    private void ensure(int n) throws IOException {
        if (buf.length - pos < n) flush();
    }

    private void flush() throws IOException {
        buf = out.hand(buf, pos);
        pos = 0;
    }

    private final byte[] digits = new byte[20];

    private void integer(long v) throws IOException {
        ensure(21);
        if (v < 0) {
            buf[pos++] = '-';
            v = -v;
        }
        int n = 0;
        do {
            digits[n++] = (byte) ('0' + v % 10);
            v /= 10;
        } while (v != 0);
        while (n > 0) buf[pos++] = digits[--n];
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) n += p.length;
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    /** Fragments encoded by the plan writer's own Jackson factory: strings and the cost fields. */
    private static final class Fragments {
        private final JsonFactory factory;
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        Fragments(JsonFactory factory) {
            this.factory = factory;
        }

        /** A JSON string with its quotes, as text. */
        String text(String value) throws IOException {
            return new String(quoted(value), StandardCharsets.UTF_8);
        }

        /** A JSON string's escaped content, without quotes. */
        byte[] string(String value) throws IOException {
            byte[] q = quoted(value);
            return java.util.Arrays.copyOfRange(q, 1, q.length - 1);
        }

        private byte[] quoted(String value) throws IOException {
            if (plain(value)) return ("\"" + value + "\"").getBytes(StandardCharsets.US_ASCII);
            bytes.reset();
            try (JsonGenerator g = factory.createGenerator(bytes, JsonEncoding.UTF8)) {
                g.writeString(value);
            }
            return bytes.toByteArray();
        }

        /** Printable ASCII without quote or backslash: what no JSON writer escapes. */
        private static boolean plain(String value) {
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') return false;
            }
            return true;
        }

        /** {@code ,"flops":F,"bytes":B,"time_s":T}} of plan node {@code node}. */
        byte[] costs(NodeCosts costs, int node) throws IOException {
            return ascii(",\"flops\":" + costs.flops(node) + ",\"bytes\":" + costs.bytes(node) + ",\"time_s\":" + number(costs.seconds(node)) + "}");
        }

        /** A double as the generator writes it: its own number writer, or the generator itself for NaN and infinities. */
        private String number(double v) throws IOException {
            if (Double.isFinite(v)) return NumberOutput.toString(v, factory.isEnabled(StreamWriteFeature.USE_FAST_DOUBLE_WRITER));
            bytes.reset();
            try (JsonGenerator g = factory.createGenerator(bytes, JsonEncoding.UTF8)) {
                g.writeNumber(v);
            }
            return bytes.toString(StandardCharsets.UTF_8);
        }
    }
}
