package pdagc.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import pdagc.Repo;
import pdagc.diag.DiagnosticRenderer;
import pdagc.driver.Compiler;
import pdagc.driver.MaterializedPlan;
import pdagc.source.SourceFile;

/**
 * Every parallel form, alone and combined, over dense and MoE models: each plan is shrunk,
 * validated (including the deadlock check) and proven equal to the unpartitioned model.
 */
public class StrategyMatrixTest {

    static final String DENSE = "model M { vocab 256 hidden 64 heads 8 kv_heads %s layers 8 ffn 128 norm %s act %s layer %s first_dense 0 }";
    static final String MOE = "model M { vocab 256 hidden 64 heads 8 layers 6 ffn 128 experts 8 top 2 first_dense %s norm rmsnorm act silu }";

    public static String deploy(String model, int gpus, String strategy, String workload) {
        return "import std.hardware\nimport std.blocks\n" + model + "\n"
                + "cluster C { gpu H100  count " + gpus + "  per_node 8 }\n"
                + "workload W { " + workload + " }\n"
                + "strategy S { " + strategy + " }\n"
                + "deploy D = M on C with S for W\n";
    }

    public static String dense(String kv) {
        return String.format(DENSE, kv, "rmsnorm", "silu", "gated_dense_layer");
    }

    public static final String PREFILL = "batch 16 seq 32 phase prefill";
    static final String DECODE = "batch 16 phase decode context 64";

    public static Stream<Arguments> strategies() {
        return Stream.of(
                Arguments.of("dense tp2", deploy(dense("8"), 2, "mesh [tp 2]", PREFILL)),
                Arguments.of("dense dp2", deploy(dense("8"), 2, "mesh [dp 2]", PREFILL)),
                Arguments.of("dense dp2 tp2", deploy(dense("8"), 4, "mesh [dp 2, tp 2]", PREFILL)),
                Arguments.of("dense layernorm gelu mlp tp4", deploy(String.format(DENSE, "8", "layernorm", "gelu", "dense_layer"), 4, "mesh [tp 4]", PREFILL)),
                Arguments.of("dense GQA kv 4 tp4", deploy(dense("4"), 4, "mesh [tp 4]", PREFILL)),
                Arguments.of("dense GQA kv 2 tp4 (kv split over tp.0 2, shared over tp.1 2)", deploy(dense("2"), 4, "mesh [tp 4]", PREFILL)),
                Arguments.of("dense MQA tp2 (kv replicated)", deploy(dense("1"), 2, "mesh [tp 2]", PREFILL)),
                Arguments.of("dense pp2 gpipe m2", deploy(dense("8"), 2, "mesh [pp 2] micro_batches 2 schedule gpipe", PREFILL)),
                Arguments.of("dense pp2 1f1b m4", deploy(dense("8"), 2, "mesh [pp 2] micro_batches 4 schedule 1f1b", PREFILL)),
                Arguments.of("dense pp4 interleaved v2 m4", deploy(dense("8"), 4, "mesh [pp 4] micro_batches 4 schedule interleaved virtual_stages 2", PREFILL)),
                Arguments.of("dense pp2 stage_layers [3, 5]", deploy(dense("8"), 2, "mesh [pp 2] micro_batches 2 stage_layers [3, 5]", PREFILL)),
                Arguments.of("dense dp2 pp2 tp2 1f1b m2", deploy(dense("8"), 8, "mesh [dp 2, pp 2, tp 2] micro_batches 2", PREFILL)),
                Arguments.of("dense decode dp2 tp2", deploy(dense("4"), 4, "mesh [dp 2, tp 2]", DECODE)),
                Arguments.of("dense decode pp2 tp2 m2", deploy(dense("8"), 4, "mesh [pp 2, tp 2] micro_batches 2", DECODE)),
                Arguments.of("moe ep4", deploy(String.format(MOE, "0"), 4, "mesh [ep 4]", PREFILL)),
                Arguments.of("moe tp2 (experts split by etp only)", deploy(String.format(MOE, "0"), 2, "mesh [tp 2]", PREFILL)),
                Arguments.of("moe ep2 tp2", deploy(String.format(MOE, "0"), 4, "mesh [ep 2, tp 2]", PREFILL)),
                Arguments.of("moe dp2 ep2 tp2", deploy(String.format(MOE, "0"), 8, "mesh [dp 2, ep 2, tp 2]", PREFILL)),
                Arguments.of("moe first_dense 1 ep2 tp2", deploy(String.format(MOE, "1"), 4, "mesh [ep 2, tp 2]", PREFILL)),
                Arguments.of("moe ep2 pp2 m2", deploy(String.format(MOE, "0"), 4, "mesh [pp 2, ep 2] micro_batches 2", PREFILL)),
                Arguments.of("moe decode ep4 tp2", deploy(String.format(MOE, "0"), 8, "mesh [ep 4, tp 2]", DECODE)),
                Arguments.of("moe dp2 pp2 ep2 tp2 interleaved", deploy(String.format(MOE, "0"), 16,
                        "mesh [dp 2, pp 2, ep 2, tp 2] micro_batches 2 schedule interleaved virtual_stages 2", PREFILL)),
                Arguments.of("dense tp2 sequence parallel", deploy(dense("8"), 2, "mesh [tp 2] sequence_parallel true", PREFILL)),
                Arguments.of("dense dp2 tp4 sequence parallel", deploy(dense("4"), 8, "mesh [dp 2, tp 4] sequence_parallel true", PREFILL)),
                Arguments.of("moe ep2 tp2 sequence parallel", deploy(String.format(MOE, "0"), 4, "mesh [ep 2, tp 2] sequence_parallel true", PREFILL)),
                Arguments.of("dense cp2", deploy(dense("8"), 2, "mesh [cp 2]", PREFILL)),
                Arguments.of("dense dp2 cp2 tp2", deploy(dense("4"), 8, "mesh [dp 2, cp 2, tp 2]", PREFILL)),
                Arguments.of("dense cp2 tp2 sequence parallel", deploy(dense("8"), 4, "mesh [cp 2, tp 2] sequence_parallel true", PREFILL)),
                Arguments.of("moe ep2 cp2", deploy(String.format(MOE, "0"), 4, "mesh [ep 2, cp 2]", PREFILL)),
                Arguments.of("moe attention dp2 tp2, experts ep4", deploy(String.format(MOE, "0"), 4, "mesh [dp 2, tp 2] expert_mesh [ep 4]", PREFILL)),
                Arguments.of("moe attention dp2 tp2, experts ep4, decode", deploy(String.format(MOE, "0"), 4, "mesh [dp 2, tp 2] expert_mesh [ep 4]", DECODE)),
                Arguments.of("moe attention dp2 tp4, experts ep2 etp4", deploy(String.format(MOE, "0"), 8, "mesh [dp 2, tp 4] expert_mesh [ep 2, etp 4]", PREFILL)),
                Arguments.of("moe attention tp4, experts ep2 etp2", deploy(String.format(MOE, "0"), 4, "mesh [tp 4] expert_mesh [ep 2, etp 2]", PREFILL)),
                Arguments.of("moe attention dp2 tp2, experts edp2 ep2", deploy(String.format(MOE, "0"), 4, "mesh [dp 2, tp 2] expert_mesh [edp 2, ep 2]", PREFILL)),
                Arguments.of("moe dp2 pp2 tp2, experts ep4, 1f1b", deploy(String.format(MOE, "0"), 8,
                        "mesh [dp 2, pp 2, tp 2] expert_mesh [ep 4] micro_batches 2 schedule 1f1b", PREFILL)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void everyStrategyComputesWhatTheModelComputes(String name, String source) {
        Verify.Report r = verify(SourceFile.of(name.replace(' ', '_') + ".pdag", null, source));
        assertTrue(r.ok(), name + ": " + r.summary());
        assertTrue(r.nodes() > 0);
    }

    static final String MOE_GQA = "model M { vocab 256 hidden 64 heads 8 kv_heads 4 layers 4 ffn 128 experts 16 top 2 norm rmsnorm act silu layer %s }";

    /** Attention whose heads split over ep, which the expert mesh folds over dp and tp: a column split over two strategy axes. */
    static final String EP_ATTENTION = """
            block ep_attention(x: [B, S, hidden]) -> [B, S, hidden] {
              n      = norm(x)
              q      = linear(n, out: heads * head_dim, groups: heads) @column(ep)
              k      = linear(n, out: kv_heads * head_dim, groups: kv_heads) @column(ep)
              v      = linear(n, out: kv_heads * head_dim, groups: kv_heads) @column(ep)
              scores = attn_scores(q, k, heads: heads, kv_heads: kv_heads, head_dim: head_dim)
              probs  = softmax(scores)
              ctx    = attn_context(probs, v, heads: heads, kv_heads: kv_heads, head_dim: head_dim)
              y      = linear(ctx, out: hidden) @row(ep)
              return x + y
            }
            block ep_layer(x: [B, S, hidden]) -> [B, S, hidden] {
              a = ep_attention(x)
              return moe(a)
            }
            """;

    /**
     * Grouped key/value heads under column axes larger than them (8 query heads of 8 wide): each
     * case's key/value projection, at the real sizes, splits over the major factor of its column
     * axes that divides the key/value heads and is replicated over the rest (its axes, and its
     * local width), and the plan is proven.
     */
    static Stream<Arguments> groupedKeyValueHeads() {
        String moe = String.format(MOE_GQA, "moe_layer");
        String ep = EP_ATTENTION + String.format(MOE_GQA, "ep_layer");
        return Stream.of(
                Arguments.of("kv 2 tp4", deploy(dense("2"), 4, "mesh [tp 4]", PREFILL), List.of("tp.0"), 8),
                Arguments.of("kv 2 tp4 decode", deploy(dense("2"), 4, "mesh [tp 4]", DECODE), List.of("tp.0"), 8),
                Arguments.of("kv 2 tp8", deploy(dense("2"), 8, "mesh [tp 8]", PREFILL), List.of("tp.0"), 8),
                Arguments.of("kv 2 tp8 decode", deploy(dense("2"), 8, "mesh [tp 8]", DECODE), List.of("tp.0"), 8),
                Arguments.of("MQA tp4", deploy(dense("1"), 4, "mesh [tp 4]", PREFILL), List.of(), 8),
                Arguments.of("MQA tp8 decode", deploy(dense("1"), 8, "mesh [tp 8]", DECODE), List.of(), 8),
                Arguments.of("kv 4 tp4 (divides: split as before)", deploy(dense("4"), 4, "mesh [tp 4]", DECODE), List.of("tp"), 8),
                Arguments.of("kv 2 dp2 pp2 tp4 1f1b sequence parallel", deploy(dense("2"), 16,
                        "mesh [dp 2, pp 2, tp 4] micro_batches 2 schedule 1f1b sequence_parallel true", PREFILL), List.of("tp.0"), 8),
                Arguments.of("kv 2 dp2 pp2 tp4 decode", deploy(dense("2"), 16, "mesh [dp 2, pp 2, tp 4] micro_batches 2", DECODE), List.of("tp.0"), 8),
                Arguments.of("kv 2 cp2 tp4 sequence parallel", deploy(dense("2"), 8, "mesh [cp 2, tp 4] sequence_parallel true", PREFILL), List.of("tp.0"), 8),
                Arguments.of("kv 4 moe tp8 folded by experts ep2 etp4 (tp.0 2 x tp.1 4, cut)", deploy(moe, 8, "mesh [tp 8] expert_mesh [ep 2, etp 4]", PREFILL),
                        List.of("tp.0", "tp.1"), 8),
                Arguments.of("kv 4 moe tp8 folded by experts ep2 etp4, decode", deploy(moe, 8, "mesh [tp 8] expert_mesh [ep 2, etp 4]", DECODE),
                        List.of("tp.0", "tp.1"), 8),
                Arguments.of("kv 4 moe dp2 tp8, experts ep4 etp4, sequence parallel", deploy(moe, 16,
                        "mesh [dp 2, tp 8] expert_mesh [ep 4, etp 4] sequence_parallel true", PREFILL), List.of("tp.0", "tp.1"), 8),
                Arguments.of("kv 4 over ep = dp 2 x tp 4 (two mesh axes)", deploy(ep, 8, "mesh [dp 2, tp 4] expert_mesh [ep 8]", PREFILL),
                        List.of("dp", "tp.0"), 8),
                Arguments.of("kv 4 over ep = dp 2 x tp 4 (two mesh axes), decode", deploy(ep, 8, "mesh [dp 2, tp 4] expert_mesh [ep 8]", DECODE),
                        List.of("dp", "tp.0"), 8));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("groupedKeyValueHeads")
    void groupedKeyValueHeadsSplitOverTheMajorFactorOfTheirColumnAxes(String name, String source, List<String> kvAxes, long localWidth) {
        MaterializedPlan plan = pdagc.driver.Compile.source(source);
        for (String kv : List.of("layers.0.a.k", "layers.0.a.v")) {
            pdagc.spmd.SpmdNode n = plan.spmd().nodes().stream().filter(x -> x.name().equals(kv)).findFirst().orElseThrow();
            assertEquals(kvAxes, n.sharding().axes(2), name + ": " + kv + " " + n.sharding());
            assertEquals(localWidth, n.local().dims()[2], name + ": " + kv + " local " + n.local());
        }
        Verify.Report r = verify(SourceFile.of(name.replace(' ', '_') + ".pdag", null, source));
        assertTrue(r.ok(), name + ": " + r.summary());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void everyExampleVerifies(String file) {
        Compiler c = new Compiler(Set.of()).rewriting(d -> Shrink.run(d).deployment());
        List<MaterializedPlan> plans = c.check(Repo.file(file), file);
        assertFalse(c.diagnostics().hasErrors(), () -> DiagnosticRenderer.render(c.diagnostics().sorted()));
        assertFalse(plans.isEmpty());
        for (MaterializedPlan p : plans) {
            Verify.Report r = p.verify(1);
            assertTrue(r.ok(), file + " " + p.deployment().name() + ": " + r.summary());
        }
    }

    static Stream<String> examples() throws java.io.IOException {
        try (Stream<java.nio.file.Path> files = java.nio.file.Files.list(Repo.file("examples"))) {
            List<String> names = files.map(f -> "examples/" + f.getFileName()).filter(f -> f.endsWith(".pdag")).sorted().toList();
            assertTrue(names.size() >= 2);
            return names.stream();
        }
    }

    static Verify.Report verify(SourceFile file) {
        Compiler c = new Compiler(Set.of()).rewriting(d -> Shrink.run(d).deployment());
        List<MaterializedPlan> plans = c.check(file);
        assertFalse(c.diagnostics().hasErrors(), () -> DiagnosticRenderer.render(c.diagnostics().sorted()));
        assertEquals(1, plans.size());
        return plans.get(0).verify(1);
    }
}
