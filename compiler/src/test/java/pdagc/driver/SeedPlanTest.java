package pdagc.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import pdagc.dag.DagNode;
import pdagc.dag.PlanDag;
import pdagc.ir.NodeKind;
import pdagc.mesh.Mesh;
import pdagc.validate.Validate;

/** The foundation's acceptance checks on the seed's plan (EP-16 x TP-4 x PP-1 on 64 GPUs). */
class SeedPlanTest {
    static PlanDag dag;

    @BeforeAll
    static void compile() {
        dag = Compile.file("examples/seed_moe_ep16_tp4.pdag").dag();
    }

    private static List<Integer> tpPeers(Mesh mesh, int gpu) {
        return mesh.group(gpu, List.of("tp"));
    }

    @Test
    void sixtyFourGpusAndAValidDag() {
        assertEquals(64, dag.gpus().size());
        assertEquals(List.of(), Validate.run(dag));
        for (DagNode n : dag.nodes()) {
            assertTrue(n.gpu() >= 0 && n.gpu() < 64);
            assertTrue(n.output() != null && n.output().rank() > 0, n.id());
        }
    }

    @Test
    void everyLayerOnEveryGpuRoutesThroughItsExpertGroupAndReducesOverItsTpPeers() {
        Mesh mesh = dag.mesh();
        Map<String, List<DagNode>> byGpuLayer = new HashMap<>();
        for (DagNode n : dag.nodes()) {
            if (n.layer() >= 0) byGpuLayer.computeIfAbsent(n.gpu() + "/" + n.layer(), k -> new ArrayList<>()).add(n);
        }
        for (int gpu = 0; gpu < 64; gpu++) {
            int tp = mesh.coord(gpu, "tp");
            List<Integer> epGroup = new ArrayList<>();
            for (int g = 0; g < 64; g++) if (mesh.coord(g, "tp") == tp) epGroup.add(g);
            for (int layer = 0; layer < 16; layer++) {
                List<DagNode> nodes = byGpuLayer.get(gpu + "/" + layer);
                long routers = nodes.stream().filter(n -> n.op() instanceof pdagc.ir.Op.Router && n.kind() == NodeKind.ROUTING).count();
                List<DagNode> a2a = nodes.stream().filter(n -> n.op().name().equals("all_to_all")).toList();
                List<DagNode> ar = nodes.stream().filter(n -> n.op().name().equals("all_reduce")).toList();
                assertEquals(1, routers, "one router per MoE layer on GPU " + gpu);
                assertEquals(2, a2a.size(), "dispatch and combine on GPU " + gpu + " layer " + layer);
                for (DagNode n : a2a) assertEquals(epGroup, n.group(), n.id());
                assertTrue(ar.size() >= 2, "attention and expert all-reduces on GPU " + gpu + " layer " + layer);
                for (DagNode n : ar) assertEquals(tpPeers(mesh, gpu), n.group(), n.id());
            }
        }
    }

    @Test
    void everyMemberOfACollectiveHasANodeWithItsIdAndNoneSpansAllGpus() {
        Map<String, List<Integer>> members = new HashMap<>();
        for (DagNode n : dag.nodes()) {
            if (n.kind() != NodeKind.COLLECTIVE) continue;
            members.computeIfAbsent(n.collective(), k -> new ArrayList<>()).add(n.gpu());
            assertTrue(n.group().size() < 64, n.id() + " spans all GPUs");
        }
        for (DagNode n : dag.nodes()) {
            if (n.kind() != NodeKind.COLLECTIVE) continue;
            List<Integer> got = new ArrayList<>(members.get(n.collective()));
            got.sort(null);
            assertEquals(n.group(), got, n.collective());
        }
    }

    @Test
    void embeddingEndsInATpAllReduceAndTheHeadInATpAllGatherOfTheLastPosition() {
        List<DagNode> gpu0 = dag.nodes().stream().filter(n -> n.gpu() == 0).toList();
        DagNode embedReduce = gpu0.stream().filter(n -> n.name().equals("embed.x.all_reduce")).findFirst().orElseThrow();
        assertEquals(List.of(0, 1, 2, 3), embedReduce.group());
        DagNode gather = gpu0.stream().filter(n -> n.op().name().equals("all_gather")).findFirst().orElseThrow();
        assertEquals(List.of(0, 1, 2, 3), gather.group());
        assertEquals("[8,1,8000]", gather.inputs().get(0).toString(), "last position, vocabulary split 4 ways");
        assertEquals("[8,1,32000]", gather.output().toString());
        assertEquals(1, gpu0.stream().filter(n -> n.op().name().equals("all_gather")).count());
    }
}
