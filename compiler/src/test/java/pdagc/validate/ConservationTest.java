package pdagc.validate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import pdagc.Repo;
import pdagc.analysis.CollectiveCost;
import pdagc.dag.DagNode;
import pdagc.dag.Quotient;
import pdagc.diag.DiagnosticRenderer;
import pdagc.diag.Diagnostics;
import pdagc.driver.Compiler;
import pdagc.driver.MaterializedPlan;
import pdagc.importer.HfImport;
import pdagc.ir.CollectiveKind;
import pdagc.ir.NodeKind;
import pdagc.ir.Op;
import pdagc.ir.Shape;
import pdagc.source.SourceFile;
import pdagc.spmd.SpmdNode;
import pdagc.spmd.SpmdProgram;

/**
 * Every collective moves what a real one moves: over n ranks an all-gather gives n times its
 * input, a reduce-scatter takes n times its output, an all-reduce keeps its shape, an all-to-all
 * gives as many elements as it takes, a recv gives what its send took. The rule is restated here
 * (not read from {@link Validate}) and held over every example and over MoE decode plans whose
 * ranks send less than one token to each expert: expert, expert-tensor, data and pipeline
 * parallelism, and folded expert meshes. Then the dispatch all-to-all of three decode plans: its
 * local shapes, and its cost, which is the rank's share of the routed tokens, tokens·top/ranks
 * rows of hidden values at the dtype's bytes, of which (n-1)/n leaves the rank.
 */
class ConservationTest {
    private static final String SEED_DECODE = """
            import std.hardware
            import std.blocks
            model Moe16 {
              vocab 32000  hidden 512  heads 8  layers 4  ffn 2048
              experts 16  top 2  norm layernorm  act gelu
              layer moe_layer
            }
            cluster Pod64 { gpu H100 { memory 64 GB }  count 64  per_node 8 }
            workload Decode { batch BATCH  context 4096  phase decode  dtype bf16 }
            strategy Ep16Tp4 { mesh [ep 16, tp 4, pp 1] }
            deploy SeedDecode = Moe16 on Pod64 with Ep16Tp4 for Decode
            """;

    /** The first case found on a real deployment: 16 experts, 8 expert-parallel ranks of 4 decode tokens each. */
    private static final String EP8_DECODE = """
            import std.hardware
            import std.blocks
            model M {
              vocab 1024  hidden 256  heads 4  layers 2  ffn 512
              experts 16  top 2  norm rmsnorm  act silu
              layer moe_layer
            }
            cluster C { gpu H100  count 8  per_node 8 }
            workload W { batch 32  context 1024  phase decode  dtype bf16 }
            strategy S { mesh [ep 8] }
            deploy Ep8Decode = M on C with S for W
            """;

    private static final String MIXTRAL = """
            import std.hardware
            import std.models.mixtral_8x7b
            cluster C { gpu H100  count GPUS  per_node 8 }
            workload W { batch BATCH  context 4096  phase decode  dtype bf16 }
            strategy S { STRATEGY }
            deploy MixtralDecode = Mixtral_8x7b on C with S for W
            """;

    // deepseek-ai/DeepSeek-V3's config.json, as PublicConfigCountsTest reads it.
    private static final String DEEPSEEK_V3 = """
            {"architectures": ["DeepseekV3ForCausalLM"], "model_type": "deepseek_v3", "vocab_size": 129280, "hidden_size": 7168,
             "intermediate_size": 18432, "moe_intermediate_size": 2048, "num_hidden_layers": 61, "num_nextn_predict_layers": 1,
             "num_attention_heads": 128, "num_key_value_heads": 128, "n_shared_experts": 1, "n_routed_experts": 256,
             "routed_scaling_factor": 2.5, "kv_lora_rank": 512, "q_lora_rank": 1536, "qk_rope_head_dim": 64, "v_head_dim": 128,
             "qk_nope_head_dim": 128, "topk_method": "noaux_tc", "n_group": 8, "topk_group": 4, "num_experts_per_tok": 8,
             "moe_layer_freq": 1, "first_k_dense_replace": 3, "norm_topk_prob": true, "scoring_func": "sigmoid",
             "hidden_act": "silu", "rms_norm_eps": 1e-06, "tie_word_embeddings": false}""";

    /** DeepSeek's decode layout: attention dp x tp, one expert per GPU over all of them (the import, 256 routed experts). */
    private static final String DEEPSEEK_V3_DECODE = """
            cluster Decode256 { gpu H200  count 256  per_node 8 }
            workload Decode { batch 512  context 4096  phase decode  dtype bf16 }
            strategy Dp32Tp8Ep256 {
              mesh [dp 32, tp 8]
              expert_mesh [ep 256]
            }
            deploy DeepSeekV3Decode = Deepseek_v3 on Decode256 with Dp32Tp8Ep256 for Decode
            """;

    /** Where a plan's collectives do not conserve data, one line each; empty when they all do. */
    static List<String> violations(MaterializedPlan plan) {
        List<String> out = new ArrayList<>();
        java.util.Map<String, Shape> sent = new java.util.HashMap<>();
        List<DagNode> received = new ArrayList<>();
        for (DagNode n : Quotient.structural(plan.dag()).nodes()) {
            if (n.kind() != NodeKind.COLLECTIVE) continue;
            Shape in = n.inputs().get(0);
            Shape out1 = n.output();
            if (n.op() instanceof Op.Transfer t) {
                if (t.send()) sent.put(n.collective(), in);
                else received.add(n);
                if (!in.equals(out1)) out.add(n.id() + " " + in + " -> " + out1);
                continue;
            }
            long ranks = n.group().size();
            boolean ok = switch (((Op.Collective) n.op()).collective()) {
                case ALL_GATHER -> out1.elements() == ranks * in.elements();
                case REDUCE_SCATTER -> in.elements() == ranks * out1.elements();
                case ALL_REDUCE -> in.equals(out1);
                case ALL_TO_ALL -> in.elements() == out1.elements();
                case SEND, RECV -> true;
            };
            if (!ok) out.add(n.id() + " (" + n.op().name() + " over " + ranks + ") " + in + " -> " + out1);
        }
        for (DagNode r : received) {
            Shape s = sent.get(r.collective());
            if (s != null && !s.equals(r.output())) out.add(r.id() + " recv " + r.output() + " of a send of " + s);
        }
        return out;
    }

    /** Every deploy of a source, checked through validation and the requirements; fails the test on any error. */
    static List<MaterializedPlan> plans(String name, String text) {
        Compiler c = new Compiler(Set.of());
        List<MaterializedPlan> plans = c.check(SourceFile.of(name, Repo.file("examples").resolve(name), text));
        assertFalse(c.diagnostics().hasErrors(), () -> DiagnosticRenderer.render(c.diagnostics().sorted()));
        assertFalse(plans.isEmpty(), name);
        return plans;
    }

    static MaterializedPlan plan(String name, String text) {
        return plans(name, text).get(0);
    }

    static void assertConserves(String name, String text) {
        for (MaterializedPlan p : plans(name, text)) {
            List<String> bad = violations(p);
            assertTrue(bad.isEmpty(), name + " (" + p.deployment().name() + "): " + bad.size() + " collectives do not conserve data, e.g. "
                    + bad.subList(0, Math.min(4, bad.size())));
        }
    }

    static Stream<String> examples() throws IOException {
        try (Stream<Path> files = Files.list(Repo.file("examples"))) {
            return files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".pdag")).sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void everyExampleConserves(String name) throws IOException {
        assertConserves(name, Files.readString(Repo.file("examples").resolve(name)));
    }

    /**
     * The examples whose strategies decode (sequence and context parallelism do not), as decode
     * steps at their batch sizes; a serving example's decode steps are compiled with it already.
     */
    @ParameterizedTest(name = "{0} in decode")
    @MethodSource("examples")
    void everyExampleThatDecodesConservesInDecode(String name) throws IOException {
        // Sequence and context parallelism do not decode; a serving example decodes already; a training step does not decode.
        if (name.startsWith("llama2_7b_tp_sp") || name.startsWith("long_context_cp") || name.contains("serving") || name.contains("train")) return;
        String text = Files.readString(Repo.file("examples").resolve(name)).replaceAll("seq \\d+ +phase prefill", "phase decode  context 2048")
                .replaceAll("require ttft[^\\n]*", "");
        assertTrue(text.contains("phase decode"), name);
        assertConserves(name, text);
    }

    static Stream<Arguments> decodeCases() {
        return Stream.of(
                Arguments.of("seed, ep 16 x tp 4, 1 token per expert rank", SEED_DECODE.replace("BATCH", "16")),
                Arguments.of("seed, ep 16 x tp 4, 4 tokens per expert rank", SEED_DECODE.replace("BATCH", "64")),
                Arguments.of("16 experts on ep 8", EP8_DECODE),
                Arguments.of("Mixtral ep 8 x tp 2", mixtral(16, 8, "mesh [ep 8, tp 2]")),
                Arguments.of("Mixtral dp 2 x pp 2 x tp 4, experts ep 4 x etp 2, 8 micro-batches", mixtral(16, 32,
                        "mesh [pp 2, dp 2, tp 4]  expert_mesh [ep 4, etp 2]  micro_batches 8  schedule 1f1b")),
                Arguments.of("Mixtral dp 4 x tp 2, experts edp 2 x ep 4", mixtral(8, 8, "mesh [dp 4, tp 2]  expert_mesh [edp 2, ep 4]")),
                Arguments.of("Mixtral dp 2 x tp 4, experts edp 2 x ep 2 x etp 2", mixtral(8, 4,
                        "mesh [dp 2, tp 4]  expert_mesh [edp 2, ep 2, etp 2]")),
                Arguments.of("Mixtral dp 8 x tp 2, experts ep 8 x etp 2", mixtral(16, 8, "mesh [dp 8, tp 2]  expert_mesh [ep 8, etp 2]")),
                Arguments.of("DeepSeek-V3 (import hf), dp 32 x tp 8, experts ep 256", deepseekV3Decode()));
    }

    private static String mixtral(int gpus, int batch, String strategy) {
        return MIXTRAL.replace("GPUS", Integer.toString(gpus)).replace("BATCH", Integer.toString(batch)).replace("STRATEGY", strategy);
    }

    private static String deepseekV3Decode() {
        Diagnostics d = new Diagnostics();
        Optional<HfImport.Result> model = HfImport.run(SourceFile.of("deepseek_v3.json", null, DEEPSEEK_V3), "Deepseek_v3", d);
        assertFalse(d.hasErrors(), () -> DiagnosticRenderer.render(d.sorted()));
        return "import std.hardware\n" + model.orElseThrow().text() + "\n" + DEEPSEEK_V3_DECODE;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("decodeCases")
    void moeDecodeConserves(String name, String text) {
        assertConserves("decode.pdag", text);
    }

    @Test
    void theDeepSeekBenchmarkConserves() throws IOException {
        assertConserves("deepseek_v3_decode.pdag", Files.readString(Repo.file("bench/deepseek_v3_decode.pdag")));
    }

    /** The dispatch all-to-all of a plan (the first after a dispatch, through local slices) on its first GPU. */
    static DagNode dispatchAllToAll(MaterializedPlan plan) {
        SpmdProgram p = plan.spmd();
        for (SpmdNode n : p.nodes()) {
            if (!(n.op() instanceof Op.Collective c) || c.collective() != CollectiveKind.ALL_TO_ALL) continue;
            SpmdNode from = p.nodes().get(n.inputs().get(0));
            while (from.op() instanceof Op.Slice) from = p.nodes().get(from.inputs().get(0));
            if (!(from.op() instanceof Op.Dispatch)) continue;
            for (DagNode d : Quotient.structural(plan.dag()).nodes()) if (d.program() == n.id()) return d;
        }
        throw new AssertionError("no dispatch all-to-all in " + plan.deployment().name());
    }

    /**
     * Each member of the dispatch all-to-all holds {@code tokens·top/ranks} routed tokens before and
     * after it (ranks: those the all-to-all's entries are split over), {@code hidden} values each:
     * the buffer charged, of which (n-1)/n is sent.
     */
    private static void assertDispatch(MaterializedPlan plan, Shape in, Shape out, long tokens, long top, long ranks, long hidden, int n) {
        DagNode a2a = dispatchAllToAll(plan);
        assertEquals(in, a2a.inputs().get(0), "the rank's buckets before the dispatch all-to-all");
        assertEquals(out, a2a.output(), "the rank's buckets after it");
        assertEquals(n, a2a.group().size());
        CollectiveCost cost = plan.analysis().nodes().collective(a2a.index());
        long bytes = tokens * top / ranks * hidden * plan.spmd().dtype().bytes();
        assertEquals(bytes, cost.bufferBytes(), "tokens·top/ranks x hidden x dtype bytes");
        assertEquals(Math.round((n - 1.0) / n * bytes), cost.trafficBytes(), "(n-1)/n of the buffer leaves the rank");
    }

    @Test
    void sixteenExpertsOnEightRanksSendEightTokensEach() {
        // 32 tokens x top 2 = 64 routed; each rank's 4 tokens send 8, of 256 values; each rank receives 4 for each of its 2 experts.
        // Until this rule, the rank's buckets were [16,1,256] (one slot for each of 16 experts) going to [2,4,256].
        assertDispatch(plan("ep8.pdag", EP8_DECODE), new Shape(8, 1, 256), new Shape(2, 4, 256), 32, 2, 8, 256, 8);
    }

    @Test
    void theDeepSeekBenchmarkSendsThirtyTwoTokensPerRank() throws IOException {
        // 1280 tokens x top 8 over 320 ranks: 32 routed tokens of 7168 values leave and reach each rank, 458,752 bytes in bf16.
        // Until this rule: [320,1,7168] (one slot for each of 320 experts, 10x) going to [1,32,7168], and 10x the bytes charged.
        MaterializedPlan p = plan("deepseek_v3_decode.pdag", Files.readString(Repo.file("bench/deepseek_v3_decode.pdag")));
        assertDispatch(p, new Shape(32, 1, 7168), new Shape(1, 32, 7168), 1280, 8, 320, 7168, 320);
        assertEquals(458_752, p.analysis().nodes().collective(dispatchAllToAll(p).index()).bufferBytes());
    }

    @Test
    void theImportedDeepSeekV3SendsSixteenTokensPerRank() {
        // 512 tokens x top 8 over 256 ranks (each dp rank's 16 tokens sliced 8 ways over tp): 16 routed tokens per rank.
        assertDispatch(plan("deepseek_v3.pdag", deepseekV3Decode()), new Shape(16, 1, 7168), new Shape(1, 16, 7168), 512, 8, 256, 7168, 256);
    }

    @Test
    void theSeedInDecodeSendsTwoTokensPerRank() {
        // 16 sequences over ep 16: one token a rank, top 2: two rows leave each rank (the tp ranks each send their copy).
        assertDispatch(plan("seed.pdag", SEED_DECODE.replace("BATCH", "16")), new Shape(2, 1, 512), new Shape(1, 2, 512), 16, 2, 16, 512, 16);
    }
}
