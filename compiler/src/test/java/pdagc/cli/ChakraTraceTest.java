package pdagc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ChakraProtoMsg.EtDef.AttributeProto;
import ChakraProtoMsg.EtDef.CollectiveCommType;
import ChakraProtoMsg.EtDef.GlobalMetadata;
import ChakraProtoMsg.EtDef.Node;
import ChakraProtoMsg.EtDef.NodeType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import pdagc.Repo;
import pdagc.analysis.NodeCosts;
import pdagc.dag.DagNode;
import pdagc.dag.PlanDag;
import pdagc.driver.Compile;
import pdagc.driver.MaterializedPlan;
import pdagc.ir.CollectiveKind;
import pdagc.ir.Op;
import pdagc.ir.Shape;

/**
 * {@code --emit chakra}: every trace is read back whole with the classes generated from Chakra's
 * schema and checked against itself (ids, dependencies), against the other ranks' traces (sends
 * matched by recvs, collectives by their whole group in one order) and against the plan (every
 * node, its sizes, costs and group). Each example's plan is proven by {@code pdagc verify} first.
 */
class ChakraTraceTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A trace read back: its metadata and its nodes in file order. */
    record Trace(GlobalMetadata metadata, List<Node> nodes) {}

    @ParameterizedTest
    @ValueSource(strings = {"examples/seed_moe_ep16_tp4.pdag", "examples/gpt3_layers_train.pdag", "examples/llama3_8b_dp_tp_pp.pdag",
            "examples/llama2_70b_serving.pdag"})
    void tracesReadBackWholeAndMatchThePlan(String example, @TempDir Path dir) throws Exception {
        checkExample(Repo.file(example), Compile.file(example), dir);
    }

    /**
     * A plan whose tp groups of 3 straddle the cluster's nodes of 8 on some GPUs of a stage only:
     * its GPUs of a role differ in their collectives' costs, and every trace is made rank by rank.
     */
    @Test
    void aPlanCostedGpuByGpuReadsBackWhole(@TempDir Path dir) throws Exception {
        String source = """
                import std.hardware
                import std.blocks
                model M { vocab 768  hidden 48  heads 6  layers 4  ffn 96  norm rmsnorm  act silu  layer gated_dense_layer }
                cluster C { gpu H100  count 24  per_node 8 }
                workload W { batch 8  seq 6  phase prefill  dtype bf16 }
                strategy S { mesh [dp 4, pp 2, tp 3] micro_batches 2 }
                deploy D = M on C with S for W
                """;
        Path file = dir.resolve("straddling.pdag");
        Files.writeString(file, source);
        MaterializedPlan plan = Compile.source(source);
        assertFalse(plan.analysis().nodes().perRole(), "costed GPU by GPU");
        checkExample(file, plan, dir);
    }

    private static void checkExample(Path file, MaterializedPlan plan, Path dir) throws Exception {
        StringWriter verifyErr = new StringWriter();
        assertEquals(0, Main.run(new String[] {"verify", file.toString()}, new PrintWriter(new StringWriter()), new PrintWriter(verifyErr)),
                verifyErr.toString());
        Path out = dir.resolve("traces");
        emit(file.toString(), out);
        boolean serving = !plan.servingSteps().isEmpty();
        List<String> expected = new ArrayList<>();
        for (MaterializedPlan step : plan.steps()) {
            String prefix = plan.deployment().name() + (serving ? "." + step.deployment().workload().phase().keyword() : "");
            Counts counts = checkStep(out, prefix, step);
            // every example splits its layers (collectives); those with pipeline stages send between them
            assertTrue(counts.collectives() > 0, prefix + ": " + counts);
            assertEquals(step.spmd().pipeline().stages() > 1, counts.sends() > 0, prefix + ": " + counts);
            expected.add(prefix + ".comm_groups.json");
            for (int r = 0; r < step.dag().gpus().size(); r++) expected.add(prefix + "." + r + ".et");
        }
        try (Stream<Path> files = Files.list(out)) {
            assertEquals(Set.copyOf(expected), Set.copyOf(files.map(p -> p.getFileName().toString()).toList()), "exactly the traces and group files");
        }
    }

    /** A Llama-3.1-405B-sized plan (126 layers, 128 GPUs, 16 pipeline stages) read back whole. */
    @Test
    void aLlama405bSizedPlanReadsBackWhole(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("traces");
        emit("bench/llama405b_128.pdag", out);
        MaterializedPlan plan = Compile.file("bench/llama405b_128.pdag");
        Counts counts = checkStep(out, plan.deployment().name(), plan);
        assertTrue(counts.collectives() > 0 && counts.sends() > 0, counts.toString());
    }

    /** The graph check itself fails on what it must catch: a cycle, a dependency outside the file, a repeated id. */
    @Test
    void theGraphCheckCatchesCyclesMissingDependenciesAndRepeatedIds() {
        Node a = Node.newBuilder().setId(0).addDataDeps(1).build();
        Node b = Node.newBuilder().setId(1).addCtrlDeps(0).build();
        Node c = Node.newBuilder().setId(2).addDataDeps(7).build();
        Node d = Node.newBuilder().setId(2).build();
        checkGraph("fine", List.of(Node.newBuilder().setId(0).build(), Node.newBuilder().setId(1).addDataDeps(0).build()));
        assertTrue(assertThrows(AssertionError.class, () -> checkGraph("cycle", List.of(a, b))).getMessage().contains("acyclic"));
        assertTrue(assertThrows(AssertionError.class, () -> checkGraph("outside", List.of(c))).getMessage().contains("not in the file"));
        assertTrue(assertThrows(AssertionError.class, () -> checkGraph("twice", List.of(c, d))).getMessage().contains("unique"));
    }

    @Test
    void ranksSelectsTheTracesWritten(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("some");
        StringWriter err = new StringWriter();
        int code = Main.run(new String[] {Repo.file("examples/seed_moe_ep16_tp4.pdag").toString(), "--emit", "chakra", "-o", out.toString(), "--ranks", "0-3, 60"},
                new PrintWriter(new StringWriter()), new PrintWriter(err));
        assertEquals(0, code, err.toString());
        try (Stream<Path> files = Files.list(out)) {
            assertEquals(Set.of("Seed.comm_groups.json", "Seed.0.et", "Seed.1.et", "Seed.2.et", "Seed.3.et", "Seed.60.et"),
                    Set.copyOf(files.map(p -> p.getFileName().toString()).toList()));
        }
    }

    @Test
    void badOptionsAreUsageErrorsAndWriteNothing(@TempDir Path dir) throws Exception {
        String seed = Repo.file("examples/seed_moe_ep16_tp4.pdag").toString();
        Path out = dir.resolve("none");
        assertUsage(new String[] {seed, "--emit", "chakra", "-o", out.toString(), "--ranks", "0-64"}, "rank 64 is outside the plan's 64 GPUs");
        assertUsage(new String[] {seed, "--emit", "chakra", "-o", out.toString(), "--ranks", "3-1"}, "is an empty range");
        assertUsage(new String[] {seed, "--emit", "chakra", "-o", out.toString(), "--ranks", "a"}, "`a` is not a rank");
        assertUsage(new String[] {seed, "--emit", "chakra", "-o", out.toString(), "--ranks", "1,,2"}, "has an empty item");
        assertUsage(new String[] {seed, "--emit", "chakra"}, "name their directory with -o DIR");
        assertUsage(new String[] {seed, "--emit", "json", "--ranks", "0"}, "--ranks applies to Chakra traces and timelines only");
        assertFalse(Files.exists(out));
    }

    private static void assertUsage(String[] args, String message) {
        StringWriter err = new StringWriter();
        assertEquals(Main.USAGE, Main.run(args, new PrintWriter(new StringWriter()), new PrintWriter(err)), err.toString());
        assertTrue(err.toString().contains(message), err.toString());
    }

    private static void emit(String example, Path out) {
        StringWriter err = new StringWriter();
        String file = Path.of(example).isAbsolute() ? example : Repo.file(example).toString();
        int code = Main.run(new String[] {file, "--emit", "chakra", "-o", out.toString()}, new PrintWriter(new StringWriter()),
                new PrintWriter(err));
        assertEquals(0, code, err.toString());
    }

    static Trace read(Path file) throws Exception {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            GlobalMetadata meta = GlobalMetadata.parseDelimitedFrom(in);
            assertNotNull(meta, file + " has no metadata");
            List<Node> nodes = new ArrayList<>();
            for (Node n; (n = Node.parseDelimitedFrom(in)) != null; ) nodes.add(n);
            return new Trace(meta, nodes);
        }
    }

    /** What one step's traces held: nodes, collectives and sends. */
    record Counts(long nodes, long collectives, long sends) {}

    /** One step's traces: each rank's against itself, all against each other, and each node against the plan's. */
    private static Counts checkStep(Path dir, String prefix, MaterializedPlan step) throws Exception {
        PlanDag dag = step.dag();
        NodeCosts costs = step.analysis().nodes();
        int world = dag.gpus().size();
        Map<Integer, List<Integer>> groups = new HashMap<>();
        JsonNode json = JSON.readTree(dir.resolve(prefix + ".comm_groups.json").toFile());
        for (Iterator<Map.Entry<String, JsonNode>> it = json.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int id = Integer.parseInt(e.getKey());
            assertTrue(id >= 1, "group ids start at 1 (ASTRA-sim reads 0 as all ranks)");
            List<Integer> members = new ArrayList<>();
            e.getValue().forEach(m -> members.add(m.intValue()));
            assertNull(groups.put(id, members), "group " + id + " defined once");
        }
        // the plan's nodes by rank, in the plan's order (a rank's nodes are its schedule)
        List<List<DagNode>> planNodes = new ArrayList<>();
        for (int r = 0; r < world; r++) planNodes.add(new ArrayList<>());
        for (DagNode n : dag.nodes()) planNodes.get(n.gpu()).add(n);
        Map<List<Long>, Long> sends = new HashMap<>();   // (src, dst, tag) -> size, each once
        Map<List<Long>, Long> recvs = new HashMap<>();
        Map<Integer, Map<Integer, List<String>>> callsByGroup = new HashMap<>();   // group -> rank -> its calls in order
        long nodes = 0, collectives = 0;
        for (int r = 0; r < world; r++) {
            Trace t = read(dir.resolve(prefix + "." + r + ".et"));
            assertEquals(pdagc.backend.ChakraBackend.SCHEMA_VERSION, t.metadata().getVersion());
            assertEquals(r, attr(t.metadata().getAttrList(), "rank").getInt64Val());
            assertEquals(world, attr(t.metadata().getAttrList(), "world_size").getInt64Val());
            checkGraph(prefix + "." + r, t.nodes());
            List<DagNode> mine = planNodes.get(r);
            assertEquals(mine.size(), t.nodes().size(), "rank " + r + ": one trace node per plan node");
            for (int k = 0; k < mine.size(); k++) {
                DagNode p = mine.get(k);
                Node n = t.nodes().get(k);
                String where = prefix + "." + r + " node " + n.getId() + " (" + p.id() + ")";
                assertEquals(p.id(), r + ":" + n.getName(), where);
                assertFalse(attr(n.getAttrList(), "is_cpu_op").getBoolVal(), where);
                assertEquals(AttributeProto.ValueCase.BOOL_VAL, attr(n.getAttrList(), "is_cpu_op").getValueCase(), where);
                assertEquals(Math.round(costs.seconds(p.index()) * 1e6), n.getDurationMicros(), where);
                if (p.op() instanceof Op.Collective c) {
                    assertEquals(NodeType.COMM_COLL_NODE, n.getType(), where);
                    assertEquals(commType(c.collective()).getNumber(), int64(n, "comm_type"), where);
                    assertEquals(expectedCommSize(c.collective(), p), int64(n, "comm_size"), where);
                    AttributeProto pg = attr(n.getAttrList(), "pg_name");
                    assertEquals(AttributeProto.ValueCase.STRING_VAL, pg.getValueCase(), where);
                    int id = Integer.parseInt(pg.getStringVal());
                    List<Integer> members = groups.get(id);
                    assertNotNull(members, where + ": group " + id + " is defined");
                    assertTrue(members.contains(r), where + ": group " + id + " holds its rank");
                    assertEquals(p.group(), members, where + ": the plan's group");
                    callsByGroup.computeIfAbsent(id, x -> new HashMap<>()).computeIfAbsent(r, x -> new ArrayList<>())
                            .add(c.collective() + ":" + int64(n, "comm_size"));
                    collectives++;
                } else if (p.op() instanceof Op.Transfer tr) {
                    assertEquals(tr.send() ? NodeType.COMM_SEND_NODE : NodeType.COMM_RECV_NODE, n.getType(), where);
                    long src = int32(n, "comm_src"), dst = int32(n, "comm_dst"), tag = int32(n, "comm_tag");
                    assertEquals(r, tr.send() ? src : dst, where);
                    int peer = p.group().get(0) == r ? p.group().get(1) : p.group().get(0);
                    assertEquals(peer, tr.send() ? dst : src, where);
                    long size = int64(n, "comm_size");
                    assertEquals(elements(p.output()) * 2, size, where + ": the value moved (bf16)");
                    assertNull((tr.send() ? sends : recvs).put(List.of(src, dst, tag), size), where + ": (src, dst, tag) unique");
                } else {
                    assertEquals(NodeType.COMP_NODE, n.getType(), where);
                    assertEquals(costs.flops(p.index()), int64(n, "num_ops"), where);
                    AttributeProto ts = attr(n.getAttrList(), "tensor_size");
                    assertEquals(AttributeProto.ValueCase.UINT64_VAL, ts.getValueCase(), where);
                    assertEquals(costs.bytes(p.index()), ts.getUint64Val(), where);
                }
            }
            nodes += t.nodes().size();
        }
        assertEquals(dag.nodes().size(), nodes);
        assertEquals(sends, recvs, prefix + ": every send has its recv on the peer with the same size and tag, and every recv its send");
        for (Map.Entry<Integer, Map<Integer, List<String>>> g : callsByGroup.entrySet()) {
            List<Integer> members = groups.get(g.getKey());
            assertEquals(Set.copyOf(members), g.getValue().keySet(), prefix + ": every member of group " + g.getKey() + " calls it");
            List<String> first = g.getValue().get(members.get(0));
            for (int m : members) assertEquals(first, g.getValue().get(m), prefix + ": rank " + m + " calls group " + g.getKey() + " as its first member does");
        }
        return new Counts(nodes, collectives, sends.size());
    }

    /** Ids unique; every dependency inside the file, earlier in it and not the node itself; the dependencies acyclic. */
    static void checkGraph(String where, List<Node> nodes) {
        Map<Long, Integer> at = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) assertNull(at.put(nodes.get(i).getId(), i), where + ": id " + nodes.get(i).getId() + " unique");
        int[] indegree = new int[nodes.size()];
        List<List<Integer>> children = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) children.add(new ArrayList<>());
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            Set<Long> seen = new HashSet<>();
            for (long d : concat(n.getDataDepsList(), n.getCtrlDepsList())) {
                Integer from = at.get(d);
                assertNotNull(from, where + ": node " + n.getId() + " depends on " + d + ", which is not in the file");
                assertTrue(seen.add(d), where + ": node " + n.getId() + " lists " + d + " once");
                children.get(from).add(i);
                indegree[i]++;
            }
        }
        ArrayDeque<Integer> ready = new ArrayDeque<>();
        for (int i = 0; i < nodes.size(); i++) if (indegree[i] == 0) ready.add(i);
        int done = 0;
        while (!ready.isEmpty()) {
            int i = ready.poll();
            done++;
            for (int c : children.get(i)) if (--indegree[c] == 0) ready.add(c);
        }
        assertEquals(nodes.size(), done, where + ": the dependencies are acyclic");
    }

    private static List<Long> concat(List<Long> a, List<Long> b) {
        List<Long> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /**
     * A collective's size as ASTRA-sim reads it, from the plan's shapes (bf16: 2 bytes): the input
     * of every kind (an all-gather's is each member's part, a reduce-scatter's the whole).
     */
    private static long expectedCommSize(CollectiveKind kind, DagNode p) {
        long in = elements(p.inputs().get(0)), out = elements(p.output());
        int n = p.group().size();
        switch (kind) {
            case ALL_GATHER -> assertEquals(in * n, out);
            case REDUCE_SCATTER -> assertEquals(out * n, in);
            case ALL_REDUCE, ALL_TO_ALL -> assertEquals(in, out);
            default -> fail(kind.toString());
        }
        return in * 2;
    }

    private static long elements(Shape s) {
        return s.elements();
    }

    private static CollectiveCommType commType(CollectiveKind k) {
        return switch (k) {
            case ALL_REDUCE -> CollectiveCommType.ALL_REDUCE;
            case ALL_GATHER -> CollectiveCommType.ALL_GATHER;
            case REDUCE_SCATTER -> CollectiveCommType.REDUCE_SCATTER;
            case ALL_TO_ALL -> CollectiveCommType.ALL_TO_ALL;
            default -> throw new AssertionError(k);
        };
    }

    private static AttributeProto attr(List<AttributeProto> attrs, String name) {
        AttributeProto found = null;
        for (AttributeProto a : attrs) {
            if (!a.getName().equals(name)) continue;
            assertNull(found, "attribute " + name + " once");
            found = a;
        }
        assertNotNull(found, "attribute " + name);
        return found;
    }

    /** An attribute the Chakra feeder reads as int64_val: it must be written as one. */
    private static long int64(Node n, String name) {
        AttributeProto a = attr(n.getAttrList(), name);
        assertEquals(AttributeProto.ValueCase.INT64_VAL, a.getValueCase(), name + " of node " + n.getId());
        return a.getInt64Val();
    }

    /** An attribute the Chakra feeder reads as int32_val. */
    private static long int32(Node n, String name) {
        AttributeProto a = attr(n.getAttrList(), name);
        assertEquals(AttributeProto.ValueCase.INT32_VAL, a.getValueCase(), name + " of node " + n.getId());
        return a.getInt32Val();
    }
}
