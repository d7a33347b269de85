package pdagc.javagen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import pdagc.dag.DagNode;
import pdagc.driver.MaterializedPlan;
import pdagc.ir.Op;
import pdagc.runtime.CollectiveSemantics;
import pdagc.source.SourceFile;
import pdagc.verify.Verify;

/**
 * The generated stubs of several plans, compiled in memory without a warning and run on the
 * reference runtime (one thread per GPU), compute what the unpartitioned model computes: every
 * value every GPU holds in full agrees with the model's, every GPU ran exactly its plan's ops in
 * its schedule's order, and the entry point gives every GPU its stage's program and the groups the
 * plan names.
 */
class GeneratedPlansRunTest {
    static final String DENSE = "model M { vocab 256 hidden 64 heads 8 kv_heads 4 layers 8 ffn 128 norm rmsnorm act silu layer gated_dense_layer }";
    static final String MOE = "model M { vocab 256 hidden 64 heads 8 layers 4 ffn 128 experts 8 top 2 norm rmsnorm act silu }";

    static String deploy(String model, int gpus, String strategy, String workload) {
        return "import std.hardware\nimport std.blocks\n" + model + "\ncluster C { gpu H100  count " + gpus + "  per_node 8 }\n"
                + "workload W { " + workload + " }\nstrategy S { " + strategy + " }\ndeploy D = M on C with S for W\n";
    }

    static final String PREFILL = "batch 16 seq 32 phase prefill";
    static final String DECODE = "batch 16 phase decode context 64";

    static Stream<Arguments> plans() {
        return Stream.of(
                Arguments.of("examples/seed_moe_ep16_tp4.pdag", null),
                Arguments.of("examples/llama3_8b_dp_tp_pp.pdag", null),
                Arguments.of("examples/mixtral_ep_etp_pp.pdag", null),
                Arguments.of("examples/llama2_7b_tp_sp.pdag", null),
                Arguments.of("examples/long_context_cp_tp.pdag", null),
                Arguments.of("dense tp4", deploy(DENSE, 4, "mesh [tp 4]", PREFILL)),
                Arguments.of("dense dp2 tp2 decode", deploy(DENSE, 4, "mesh [dp 2, tp 2]", DECODE)),
                Arguments.of("dense pp4 interleaved v2 m4", deploy(DENSE, 4, "mesh [pp 4] micro_batches 4 schedule interleaved virtual_stages 2", PREFILL)),
                Arguments.of("moe dp2 pp2 ep2 tp2 interleaved", deploy(MOE, 16,
                        "mesh [dp 2, pp 2, ep 2, tp 2] micro_batches 2 schedule interleaved virtual_stages 2", PREFILL)),
                Arguments.of("moe attention dp2 tp4, experts ep2 etp4", deploy(MOE, 8, "mesh [dp 2, tp 4] expert_mesh [ep 2, etp 4]", PREFILL)),
                Arguments.of("moe decode ep4 tp2", deploy(MOE, 8, "mesh [ep 4, tp 2]", DECODE)),
                Arguments.of("dense GQA kv 2 tp8 (kv over tp.0), sequence parallel", deploy(DENSE.replace("kv_heads 4", "kv_heads 2"), 8,
                        "mesh [tp 8] sequence_parallel true", PREFILL)),
                Arguments.of("dense GQA kv 2 dp2 tp4 (kv over tp.0), decode", deploy(DENSE.replace("kv_heads 4", "kv_heads 2"), 8, "mesh [dp 2, tp 4]", DECODE)),
                Arguments.of("moe GQA kv 4 tp8 folded by ep2 etp4 (kv over tp.0 x tp.1), decode",
                        deploy(MOE.replace("layers 4", "kv_heads 4 layers 4"), 8, "mesh [tp 8] expert_mesh [ep 2, etp 4]", DECODE)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("plans")
    void theGeneratedProgramsComputeWhatTheModelComputes(String name, String source) throws ReflectiveOperationException {
        MaterializedPlan plan = source == null ? GeneratedPlans.shrunk(name) : GeneratedPlans.shrunk(SourceFile.of(name.replace(' ', '_') + ".pdag", null, source));
        Class<?> main = GeneratedPlans.compile(GeneratedPlans.sources(plan)).load(GeneratedPlans.planClass(plan));
        Verify.Report r = GeneratedPlans.runAndCompareCompiled(plan, main, CollectiveSemantics.REFERENCE);
        assertTrue(r.ok(), name + ": " + r.summary());
        assertTrue(r.nodes() > plan.dag().gpus().size(), r.summary());
        theEntryPointNamesEveryGpusProgramAndGroups(plan, main);
    }

    /** {@code programOf} is each GPU's pipeline stage; {@code groupsOf} holds exactly the groups of its collectives in the plan's DAG. */
    static void theEntryPointNamesEveryGpusProgramAndGroups(MaterializedPlan plan, Class<?> main) throws ReflectiveOperationException {
        Method programOf = main.getMethod("programOf", int.class);
        Method groupsOf = main.getMethod("groupsOf", int.class);
        Map<Integer, Map<String, List<Integer>>> planned = new TreeMap<>();
        for (DagNode n : plan.dag().nodes()) {
            planned.computeIfAbsent(n.gpu(), g -> new TreeMap<>());
            if (plan.spmd().nodes().get(n.program()).op() instanceof Op.Collective c) planned.get(n.gpu()).put(String.join("+", c.axes()), n.group());
        }
        for (int g = 0; g < plan.dag().gpus().size(); g++) {
            assertEquals(plan.spmd().mesh().coord(g, "pp"), programOf.invoke(null, g));
            Map<String, List<Integer>> groups = new TreeMap<>();
            for (Map.Entry<?, ?> e : ((Map<?, ?>) groupsOf.invoke(null, g)).entrySet()) {
                groups.put((String) e.getKey(), Arrays.stream((int[]) e.getValue()).boxed().toList());
            }
            assertEquals(planned.get(g), groups, "GPU " + g);
        }
    }
}
