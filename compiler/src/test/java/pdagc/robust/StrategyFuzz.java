package pdagc.robust;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import pdagc.Repo;
import pdagc.diag.Diagnostic;
import pdagc.diag.DiagnosticRenderer;
import pdagc.diag.Diagnostics;
import pdagc.driver.Compiler;
import pdagc.driver.MaterializedPlan;
import pdagc.importer.HfImport;
import pdagc.source.SourceFile;
import pdagc.verify.Shrink;
import pdagc.verify.Verify;

/**
 * The generative strategy fuzzer: random deployments (native and imported model families, dense
 * and MoE, MHA, GQA, MQA and latent attention; random meshes over dp, ep, pp, cp and tp in random
 * axis orders, expert meshes, sequence parallelism, micro-batches, schedules, virtual stages,
 * stage assignments, prefill and decode, every dtype; and, in some cases, a copy of the standard
 * blocks with mutated sharding annotations) and, in {@value #TRAINING_PERCENT} % of the cases,
 * training steps (ZeRO 0 to 3, gradient accumulation over micro-batches, GPipe, 1F1B and
 * interleaved schedules, recomputation, dropout, dense and MoE models, sometimes at real sizes), each held to one
 * property with {@code verify} as the oracle: <b>a plan that {@code check} accepts is one that
 * {@code verify} proves</b>; a plan it refuses is refused with coded diagnostics, none of them a
 * compiler bug (E09xx), and nothing throws. Since verify proves a shrunk copy of the plan, the
 * copy must make the real plan's moves ({@link #sameMoves}): the same collectives, slices and
 * shardings.
 *
 * <p>Run long from the command line (the test classpath is built by {@code mvn verify}):
 * {@code mvn -B -q -pl compiler test-compile exec:java ...} is not needed; see docs/design.md,
 * Robustness, "The strategy fuzzer", for the command, which runs {@link #main} with a first seed, a case
 * count and a directory where every failing case is written as a {@code .pdag} file.
 */
public final class StrategyFuzz {

    /** What one case came to. */
    public enum Outcome { PROVEN, REFUSED, FAILED }

    /** One generated case and its result; {@code why} says what failed. */
    public record Result(long seed, String source, Outcome outcome, String why, String refusedBy) {}

    private static final List<String> AXES = List.of("dp", "ep", "pp", "cp", "tp");
    private static final List<String> GPUS = List.of("H100", "A100", "H200", "B200", "MI300X");
    private static final List<String> DTYPES = List.of("bf16", "fp16", "fp32", "fp8");
    private static final List<String> FAMILIES = List.of("llama", "mistral", "mixtral", "phi3", "gemma", "gemma2", "gemma3_text", "qwen2",
            "qwen2_moe", "qwen3", "qwen3_moe", "olmoe", "deepseek", "deepseek_v2", "deepseek_v3", "falcon", "starcoder2", "gpt_neox",
            "gptj", "gpt2", "qwen3_vl_text", "qwen3_vl_moe_text", "kimi_k2", "glm4_moe", "minimax_m2", "llama4_text");

    /** The model types without experts (a training case draws one of these half the time, else any type). */
    private static final List<String> DENSE_FAMILIES = List.of("llama", "mistral", "phi3", "gemma", "gemma2", "gemma3_text", "qwen2", "qwen3",
            "falcon", "starcoder2", "gpt_neox", "gptj", "gpt2", "qwen3_vl_text");

    /** Real vocabularies (Llama 2, GPT-2 padded, Llama 3, Qwen 2), for training cases at real sizes. */
    private static final List<Long> BIG_VOCABS = List.of(32000L, 50304L, 128256L, 151936L);

    private static volatile String blocks;

    private final Random r;
    private final long seed;
    /**
     * Whether this case is a training step. Drawn from a stream of its own, so that a seed that
     * draws a serving case draws the same case as before training cases were generated.
     */
    private final boolean train;
    /** A training case at real sizes (wide layers, a real vocabulary, long sequences): check's arithmetic and memory at scale. */
    private boolean big;

    private StrategyFuzz(long seed) {
        this.seed = seed;
        this.r = new Random(seed);
        this.train = new Random(seed * 0x9E3779B97F4A7C15L + 0x5DEECE66DL).nextInt(100) < TRAINING_PERCENT;
    }

    /** The share of cases, in percent, that are training steps. */
    static final int TRAINING_PERCENT = 40;

    /** Whether the case of {@code seed} is a training step. */
    public static boolean training(long seed) {
        return new StrategyFuzz(seed).train;
    }

    /** The case of one seed: its source text. */
    public static String generate(long seed) {
        return new StrategyFuzz(seed).source();
    }

    /** Generates the case of {@code seed} and holds it to the property. */
    public static Result run(long seed) {
        String source;
        try {
            source = generate(seed);
        } catch (RuntimeException e) {
            return new Result(seed, "", Outcome.FAILED, "the generator failed: " + e, null);
        }
        return judge(seed, source);
    }

    /** Holds one source to the property. */
    public static Result judge(long seed, String source) {
        String name = "fuzz_" + seed + ".pdag";
        try {
            Compiler full = new Compiler(Set.of());
            List<MaterializedPlan> plans = full.check(SourceFile.of(name, null, source));
            if (full.diagnostics().hasErrors()) {
                TreeSet<String> codes = new TreeSet<>();
                for (Diagnostic d : full.diagnostics().sorted()) {
                    if (d.code().severity() != pdagc.diag.Severity.ERROR) continue;
                    codes.add(d.code().id());
                    if (d.code().id().startsWith("E09")) {
                        return new Result(seed, source, Outcome.FAILED, "check reports a compiler bug:\n" + DiagnosticRenderer.render(full.diagnostics().sorted()), null);
                    }
                }
                return new Result(seed, source, Outcome.REFUSED, null, String.join(",", codes));
            }
            if (plans.isEmpty()) return new Result(seed, source, Outcome.FAILED, "check accepted no plan and reported no error", null);
            Compiler tiny = new Compiler(Set.of()).rewriting(d -> Shrink.run(d).deployment());
            List<MaterializedPlan> shrunk = tiny.check(SourceFile.of(name, null, source));
            if (tiny.diagnostics().hasErrors() || shrunk.size() != plans.size()) {
                return new Result(seed, source, Outcome.FAILED, "check accepts it, but verify cannot build the shrunk plan:\n"
                        + DiagnosticRenderer.render(tiny.diagnostics().sorted()), null);
            }
            for (int i = 0; i < plans.size(); i++) {
                String moves = sameMoves(plans.get(i), shrunk.get(i));
                if (moves != null) return new Result(seed, source, Outcome.FAILED, "verify's tiny plan is not the plan check accepts: " + moves, null);
            }
            for (MaterializedPlan p : shrunk) {
                Verify.Report v = p.verify(1 + (seed & 7));
                if (!v.ok()) return new Result(seed, source, Outcome.FAILED, "check accepts it, verify finds it wrong: " + v.summary(), null);
            }
            return new Result(seed, source, Outcome.PROVEN, null, null);
        } catch (Throwable t) {
            java.io.StringWriter w = new java.io.StringWriter();
            t.printStackTrace(new java.io.PrintWriter(w));
            String trace = w.toString();
            return new Result(seed, source, Outcome.FAILED, "threw " + trace.substring(0, Math.min(trace.length(), 1500)), null);
        }
    }

    /**
     * Null when the tiny plan that verify runs makes the same moves as the real plan: the same
     * kinds of op, collectives over the same axes and dimensions, and slices, each with the same
     * sharding (the layers it keeps are fewer, their sizes smaller). Else what differs. Shrinking
     * keeps every divisibility a split needs only if it knows every axis that splits a size: a
     * tiny plan that shards a weight where the real one does not (or lost a strategy option) is
     * proven in place of the real one.
     */
    static String sameMoves(MaterializedPlan real, MaterializedPlan tiny) {
        return pdagc.verify.Moves.differ(real.spmd(), tiny.spmd());
    }

    // ---------------------------------------------------------------- generation

    private String source() {
        if (train) return trainingSource();
        StringBuilder b = new StringBuilder();
        b.append("// strategy fuzzer case ").append(seed).append('\n');
        b.append("import std.hardware\n");
        boolean mutate = r.nextInt(6) == 0;
        Model m = r.nextInt(2) == 0 ? nativeModel() : importedModel();
        String modelText = m.text;
        appendModel(b, m, modelText, mutate);
        boolean decode = r.nextInt(3) == 0;
        Strategy s = strategy(m, decode);
        appendDeploy(b, s, decode);
        return b.toString();
    }

    /**
     * A training step: a model (dense or a mixture of experts, with tied heads, learned positions,
     * per-head norms, latent attention as the families have them; an op without a gradient rule
     * must be refused with E0318), a mesh over dp, ep, cp, tp and pp, an expert mesh, ZeRO 0 to 3,
     * gradient accumulation over micro-batches, the three schedules, sequence parallelism,
     * recomputation, dropout, every dtype. Sizes include ones the mesh does not divide (odd widths, tiny vocabularies), which
     * ZeRO's shards and the vocabulary-parallel head must handle or refuse.
     */
    private String trainingSource() {
        StringBuilder b = new StringBuilder();
        b.append("// strategy fuzzer case ").append(seed).append(" (training)\n");
        b.append("import std.hardware\n");
        boolean mutate = r.nextInt(10) == 0;
        big = r.nextInt(8) == 0;
        Model m = r.nextInt(2) == 0 ? nativeModel() : importedModel();
        String modelText = m.text;
        // Dropout where the blocks call it (the attention's probabilities, the residual branches).
        if (r.nextInt(3) == 0) modelText = modelText.replaceFirst("model M \\{", "model M {\n  dropout " + pick(List.of("0.1", "0.1", "0.5", "0")));
        appendModel(b, m, modelText, mutate);
        Strategy s = strategy(m, false);
        appendDeploy(b, s, false);
        return b.toString();
    }

    /** The model with its blocks: the standard library's, or mutated copies its block references are renamed to. */
    private void appendModel(StringBuilder b, Model m, String modelText, boolean mutate) {
        if (mutate) {
            b.append(mutatedBlocks());
            modelText = renameBlockReferences(modelText.replace("import std.blocks\n", ""));
        } else if (!modelText.contains("import std.blocks")) {
            b.append("import std.blocks\n");
        }
        b.append("// model: ").append(m.family).append(mutate ? ", mutated annotations" : "").append('\n');
        b.append(modelText).append('\n');
    }

    /** The cluster the strategy's mesh fills, the workload, the strategy and the deploy. */
    private void appendDeploy(StringBuilder b, Strategy s, boolean decode) {
        int gpus = s.gpus;
        int perNode = pick(divisorsOf(gpus, List.of(1, 2, 4, 8, 8, 8)));
        b.append("cluster C { gpu ").append(pick(GPUS)).append("  count ").append(gpus).append("  per_node ").append(perNode).append(" }\n");
        b.append("workload W { ").append(workload(s, decode)).append(" }\n");
        b.append("strategy S { ").append(s.text).append(" }\n");
        b.append("deploy D = M on C with S for W\n");
    }

    /** A model and the facts the strategy draws on. */
    private record Model(String family, String text, long layers, long heads, long kvHeads, long experts, boolean hasExperts) {}

    private Model nativeModel() {
        long headDim = pick(List.of(4L, 8L, 16L, 32L, 64L));
        long heads = pick(List.of(1L, 2L, 4L, 4L, 6L, 8L, 8L, 12L, 16L, 32L));
        long kv = pick(divisors(heads));
        long hidden = r.nextInt(4) == 0 ? 8L * (1 + r.nextInt(32)) : heads * headDim;
        if (train && r.nextInt(6) == 0) hidden = pick(List.of(6L, 10L, 12L, 20L, 24L, 36L, 40L, 56L));
        long ffn = pick(List.of(16L, 32L, 48L, 64L, 96L, 128L, 256L, 4 * hidden));
        if (train && r.nextInt(6) == 0) ffn = pick(List.of(12L, 20L, 24L, 36L, 44L));
        long vocab = pick(List.of(64L, 96L, 128L, 250L, 256L, 1000L, 1024L, 32000L));
        if (train && r.nextInt(4) == 0) vocab = pick(List.of(2L, 3L, 5L, 6L, 8L, 12L, 24L, 50L));
        long layers = 1 + r.nextInt(6);
        if (big) {
            headDim *= 16;
            hidden *= 16;
            ffn *= 16;
            vocab = pick(BIG_VOCABS);
        }
        boolean moe = train ? r.nextInt(3) == 0 : r.nextInt(2) == 0;
        StringBuilder t = new StringBuilder("model M {\n");
        t.append("  vocab ").append(vocab).append("  hidden ").append(hidden).append("  heads ").append(heads).append("  kv_heads ").append(kv)
                .append("  head_dim ").append(headDim).append("  layers ").append(layers).append("  ffn ").append(ffn).append('\n');
        t.append("  norm ").append(pick(List.of("layernorm", "rmsnorm"))).append("  act ").append(pick(List.of("gelu", "silu", "relu"))).append('\n');
        long experts = 0;
        if (moe) {
            experts = pick(List.of(2L, 4L, 4L, 6L, 8L, 8L, 16L, 32L, 64L));
            long top = 1 + r.nextInt((int) Math.min(experts, 4));
            long firstDense = r.nextInt(3) == 0 ? r.nextInt((int) layers + 1) : 0;
            t.append("  experts ").append(experts).append("  top ").append(top).append("  expert_ffn ").append(pick(List.of(16L, 32L, 64L, 128L)))
                    .append("  first_dense ").append(firstDense).append('\n');
            // MoE layers between dense ones (Llama 4 Maverick's every other layer) in a quarter of the MoE models.
            if (r.nextInt(4) == 0) t.append("  moe_every ").append(2 + r.nextInt(2)).append('\n');
            t.append("  layer ").append(pick(List.of("moe_layer", "moe_layer", "gated_moe_layer"))).append("  dense_layer ")
                    .append(pick(List.of("dense_layer", "gated_dense_layer"))).append('\n');
        } else {
            t.append("  layer ").append(pick(List.of("dense_layer", "gated_dense_layer"))).append('\n');
        }
        if (train && r.nextInt(6) == 0) t.append("  head tied_lm_head\n");
        t.append("}\n");
        return new Model(moe ? "native moe" : "native dense", t.toString(), layers, heads, kv, experts, moe);
    }

    private Model importedModel() {
        String type = train && r.nextInt(2) == 0 ? pick(DENSE_FAMILIES) : pick(FAMILIES);
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("model_type", type);
        long heads = pick(List.of(1L, 2L, 4L, 4L, 8L, 8L, 12L, 16L));
        long kv = pick(divisors(heads));
        long headDim = pick(List.of(8L, 16L, 32L));
        long hidden = heads * headDim;
        long layers = 1 + r.nextInt(5);
        long vocab = pick(List.of(64L, 128L, 256L, 1000L, 50257L));
        if (train && r.nextInt(4) == 0) vocab = pick(List.of(2L, 3L, 5L, 8L, 12L, 24L, 50L));
        long ffn = pick(List.of(32L, 48L, 64L, 128L, 4 * hidden));
        if (train && r.nextInt(6) == 0) ffn = pick(List.of(12L, 20L, 36L, 44L));
        if (big) {
            headDim *= 16;
            hidden *= 16;
            ffn *= 16;
            vocab = pick(BIG_VOCABS);
        }
        long experts = pick(List.of(2L, 4L, 8L, 16L, 64L));
        long top = 1 + r.nextInt((int) Math.min(experts, 4));
        boolean moe = false;
        switch (type) {
            case "gpt2" -> {
                c.put("vocab_size", vocab);
                c.put("n_embd", hidden);
                c.put("n_layer", layers);
                c.put("n_head", heads);
                c.put("n_positions", pick(List.of(64L, 1024L, 4096L)));
                kv = heads;
            }
            case "gptj" -> {
                c.put("vocab_size", vocab);
                c.put("n_embd", hidden);
                c.put("n_layer", layers);
                c.put("n_head", heads);
                c.put("rotary_dim", pick(List.of(2L, 4L, headDim)));
                c.put("n_inner", r.nextBoolean() ? null : (Object) ffn);
                kv = heads;
            }
            default -> {
                c.put("vocab_size", vocab);
                c.put("hidden_size", hidden);
                c.put("num_hidden_layers", layers);
                c.put("num_attention_heads", heads);
                c.put("intermediate_size", ffn);
                if (!type.equals("falcon") && !type.equals("gpt_neox") && !type.equals("deepseek")) c.put("num_key_value_heads", kv);
                else if (!type.equals("falcon")) kv = heads;
                if (r.nextBoolean()) c.put("tie_word_embeddings", r.nextBoolean());
            }
        }
        switch (type) {
            case "gemma", "gemma2", "gemma3_text", "qwen3", "qwen3_vl_text" -> {
                c.put("head_dim", pick(List.of(8L, 16L, 32L)));
                if (type.startsWith("gemma") && !type.equals("gemma")) c.put("sliding_window", null);
            }
            case "minimax_m2" -> {
                c.put("head_dim", pick(List.of(8L, 16L, 32L)));
                c.put("num_local_experts", experts);
                c.put("num_experts_per_tok", top);
                c.put("use_qk_norm", r.nextInt(4) != 0);
                c.put("qk_norm_type", r.nextBoolean() ? "per_layer" : "per_head");
                moe = true;
            }
            case "llama4_text" -> {
                c.put("head_dim", pick(List.of(8L, 16L, 32L)));
                c.put("intermediate_size_mlp", pick(List.of(32L, 64L)));
                c.put("num_local_experts", experts);
                c.put("num_experts_per_tok", top);
                c.put("interleave_moe_layer_step", pick(List.of(1L, 1L, 2L)));
                moe = true;
            }
            case "glm4_moe" -> {
                c.put("head_dim", pick(List.of(8L, 16L, 32L)));
                c.put("attention_bias", true);
                c.put("use_qk_norm", r.nextBoolean());
                c.put("moe_intermediate_size", pick(List.of(16L, 32L)));
                c.put("n_shared_experts", 1L);
                c.put("n_routed_experts", experts);
                c.put("num_experts_per_tok", top);
                c.put("first_k_dense_replace", (long) r.nextInt((int) layers + 1));
                moe = true;
            }
            case "mixtral" -> {
                c.put("num_local_experts", experts);
                c.put("num_experts_per_tok", top);
                moe = true;
            }
            case "olmoe" -> {
                c.put("num_experts", experts);
                c.put("num_experts_per_tok", top);
                moe = true;
            }
            case "qwen2_moe", "qwen3_moe", "qwen3_vl_moe_text" -> {
                c.put("num_experts", experts);
                c.put("num_experts_per_tok", top);
                c.put("moe_intermediate_size", pick(List.of(16L, 32L)));
                if (type.equals("qwen2_moe")) c.put("shared_expert_intermediate_size", pick(List.of(16L, 24L, 64L)));
                else c.put("head_dim", pick(List.of(8L, 16L, 32L)));
                moe = true;
            }
            case "deepseek", "deepseek_v2", "deepseek_v3", "kimi_k2" -> {
                c.put("moe_intermediate_size", pick(List.of(16L, 32L)));
                c.put("n_shared_experts", 1L + r.nextInt(2));
                c.put("n_routed_experts", experts);
                c.put("num_experts_per_tok", top);
                c.put("first_k_dense_replace", (long) r.nextInt((int) layers + 1));
                c.put("moe_layer_freq", 1L);
                if (!type.equals("deepseek")) {
                    c.put("q_lora_rank", r.nextInt(3) == 0 ? null : (Object) pick(List.of(16L, 24L, 32L)));
                    c.put("kv_lora_rank", pick(List.of(8L, 16L, 32L)));
                    c.put("qk_nope_head_dim", pick(List.of(4L, 8L, 16L)));
                    c.put("qk_rope_head_dim", pick(List.of(2L, 4L, 8L)));
                    c.put("v_head_dim", pick(List.of(4L, 8L, 16L)));
                    if (type.equals("deepseek_v3") && c.get("q_lora_rank") != null && r.nextBoolean()) c.put("num_nextn_predict_layers", 1L);
                }
                moe = true;
            }
            case "falcon" -> {
                int shape = r.nextInt(3);
                if (shape == 0) {
                    c.put("multi_query", true);
                    c.put("parallel_attn", true);
                    kv = 1;
                } else if (shape == 1) {
                    c.put("new_decoder_architecture", true);
                    c.put("num_kv_heads", kv);
                } else {
                    c.put("multi_query", false);
                    c.put("parallel_attn", true);
                    kv = heads;
                }
                c.put("bias", false);
            }
            case "starcoder2" -> c.put("use_bias", true);
            case "gpt_neox" -> c.put("use_parallel_residual", r.nextBoolean());
            default -> { }
        }
        String json;
        try {
            json = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(c);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
        Diagnostics d = new Diagnostics();
        Optional<HfImport.Result> imported = HfImport.run(SourceFile.of("config.json", null, json), "M", d);
        if (imported.isEmpty()) throw new IllegalStateException("the generated " + type + " config does not import: " + DiagnosticRenderer.render(d.sorted()));
        return new Model(type, imported.get().text(), layers, heads, kv, moe ? experts : 0, moe);
    }

    /** A strategy: a random mesh over the axes in a random order, and its options. */
    private record Strategy(String text, int gpus, int pp, int batchWays, int microBatches, boolean sp, int tp, int cp) {}

    private Strategy strategy(Model m, boolean decode) {
        List<String> axes = new ArrayList<>(AXES);
        Collections.shuffle(axes, r);
        Map<String, Integer> size = new LinkedHashMap<>();
        boolean expertMesh = m.hasExperts && r.nextInt(3) == 0;
        int budget = pick(List.of(1, 2, 4, 4, 8, 8, 8, 16, 16, 32, 64));
        int gpus = 1;
        for (String a : axes) {
            int s = r.nextInt(3) == 0 ? 1 : pick(List.of(1, 2, 2, 2, 3, 4, 4, 8));
            if (a.equals("ep") && !m.hasExperts && r.nextInt(4) != 0) s = 1;
            if (a.equals("pp")) s = Math.min(s, (int) Math.max(1, m.layers));
            if (a.equals("cp") && decode && r.nextInt(10) != 0) s = 1;
            if (a.equals("ep") && expertMesh && r.nextInt(10) != 0) s = 1;
            if (gpus * s > budget) s = 1;
            gpus *= s;
            if (s > 1 || r.nextInt(5) == 0 && !(a.equals("ep") && expertMesh)) size.put(a, s);
        }
        if (size.isEmpty()) size.put(pick(AXES), 1);
        StringBuilder t = new StringBuilder("mesh [");
        boolean first = true;
        for (Map.Entry<String, Integer> e : size.entrySet()) {
            if (!first) t.append(", ");
            first = false;
            t.append(e.getKey()).append(' ').append(e.getValue());
        }
        t.append(']');
        int pp = size.getOrDefault("pp", 1);
        int tp = size.getOrDefault("tp", 1);
        int cp = size.getOrDefault("cp", 1);
        int stage = gpus / pp;
        if (expertMesh) {
            List<String> ex = new ArrayList<>(List.of("edp", "ep", "etp"));
            Collections.shuffle(ex, r);
            int left = stage;
            StringBuilder e = new StringBuilder(" expert_mesh [");
            boolean f = true;
            for (int i = 0; i < ex.size(); i++) {
                int s = i == ex.size() - 1 ? left : pick(divisors(left));
                left /= s;
                if (s == 1 && r.nextBoolean() && i < ex.size() - 1) continue;
                if (!f) e.append(", ");
                f = false;
                e.append(ex.get(i)).append(' ').append(s);
            }
            t.append(e).append(']');
        }
        boolean sp = tp > 1 && r.nextInt(3) == 0;
        if (sp) t.append(" sequence_parallel true");
        int micro = 1;
        if (pp > 1 || r.nextInt(train ? 3 : 8) == 0) {
            micro = pick(List.of(1, 2, 2, 3, 4, 4, 8));
            int kind = r.nextInt(4);
            // Interleaving runs micro-batches in groups of pp: a training case mostly draws a multiple.
            if (train && kind == 3 && r.nextInt(4) != 0) micro = pp * pick(List.of(1, 1, 2, 3));
            t.append(" micro_batches ").append(micro);
            if (kind == 1) t.append(" schedule gpipe");
            if (kind == 2) t.append(" schedule 1f1b");
            int chunks = pp;
            if (kind == 3) {
                int v = pick(List.of(2, 2, 3));
                t.append(" schedule interleaved virtual_stages ").append(v);
                chunks = pp * v;
            }
            if (r.nextInt(4) == 0 && chunks > 1 && m.layers >= chunks) {
                List<Long> counts = new ArrayList<>();
                long left = m.layers;
                for (int c = 0; c < chunks; c++) {
                    long most = left - (chunks - c - 1);
                    long n = c == chunks - 1 ? left : 1 + r.nextInt((int) Math.max(1, most));
                    counts.add(n);
                    left -= n;
                }
                if (r.nextInt(6) == 0) counts.set(0, counts.get(0) + 1);
                t.append(" stage_layers ").append(counts);
            }
        }
        if (train) {
            // ZeRO: every stage, and a stage without data-parallel ranks now and then.
            int zero = pick(List.of(0, 0, 1, 1, 2, 2, 3, 3));
            boolean dataParallel = size.getOrDefault("dp", 1) * size.getOrDefault("cp", 1) > 1;
            if (zero > 0 && !dataParallel && r.nextInt(4) != 0) zero = 0;
            if (zero > 0 || r.nextInt(4) == 0) t.append(" zero ").append(zero);
            if (r.nextInt(5) == 0) t.append(" recompute ").append(pick(List.of("none", "selective", "full")));
        }
        int ways = size.getOrDefault("dp", 1) * size.getOrDefault("ep", 1);
        return new Strategy(t.toString(), gpus, pp, ways, micro, sp, tp, cp);
    }

    private String workload(Strategy s, boolean decode) {
        long unit = (long) s.batchWays * s.microBatches;
        long batch = r.nextInt(8) == 0 ? 1 + r.nextInt(64) : unit * pick(List.of(1L, 2L, 3L, 4L, 8L));
        StringBuilder w = new StringBuilder("batch " + batch);
        if (decode) {
            w.append("  phase decode  context ").append(pick(List.of(1L, 16L, 100L, 512L, 4096L)));
        } else {
            long seqUnit = (long) s.cp * (s.sp ? s.tp : 1);
            long seq = r.nextInt(8) == 0 ? 1 + r.nextInt(100) : seqUnit * pick(List.of(1L, 2L, 4L, 16L, 64L));
            if (big) seq *= pick(List.of(16L, 64L, 128L));
            w.append("  seq ").append(seq).append(train ? "  phase train" : "  phase prefill");
            if (train && r.nextInt(4) == 0) w.append("  optimizer adam");
        }
        w.append("  dtype ").append(pick(DTYPES));
        return w.toString();
    }

    // ---------------------------------------------------------------- mutated blocks

    private static final Pattern BLOCK = Pattern.compile("(?m)^block\\s+([A-Za-z_][A-Za-z0-9_]*)");
    private static final Pattern ANNOTATION = Pattern.compile("@(column|row|vocab|experts)\\(([a-z]+)\\)");

    private static String blocksText() {
        String b = blocks;
        if (b == null) {
            try {
                b = Files.readString(Repo.file("stdlib/std/blocks.pdag"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            blocks = b;
        }
        return b;
    }

    private static List<String> blockNames() {
        List<String> names = new ArrayList<>();
        Matcher m = BLOCK.matcher(blocksText());
        while (m.find()) names.add(m.group(1));
        return names;
    }

    /** Renames every standard block {@code b} to {@code b_m} in {@code text}. */
    private static String renameBlocks(String text) {
        String out = text;
        for (String n : blockNames()) out = out.replaceAll("\\b" + n + "\\b", n + "_m");
        return out;
    }

    private static final Pattern REFERENCE = Pattern.compile("\\b(embed|layer|dense_layer|head|mtp_layer)(\\s+)([A-Za-z_][A-Za-z0-9_]*)");

    /** Renames the blocks a model names ({@code layer moe_layer} to {@code layer moe_layer_m}). */
    private static String renameBlockReferences(String model) {
        List<String> names = blockNames();
        Matcher m = REFERENCE.matcher(model);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String name = m.group(3);
            m.appendReplacement(out, Matcher.quoteReplacement(m.group(1) + m.group(2) + (names.contains(name) ? name + "_m" : name)));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** A copy of the standard blocks, renamed, with one to three sharding annotations changed, dropped or added. */
    private String mutatedBlocks() {
        String text = renameBlocks(blocksText());
        List<int[]> spans = new ArrayList<>();
        Matcher m = ANNOTATION.matcher(text);
        while (m.find()) spans.add(new int[] {m.start(), m.end()});
        int edits = 1 + r.nextInt(3);
        StringBuilder b = new StringBuilder(text);
        List<Integer> chosen = new ArrayList<>();
        for (int i = 0; i < edits; i++) chosen.add(r.nextInt(spans.size()));
        chosen.sort(Collections.reverseOrder());
        List<String> styles = List.of("column", "row", "vocab", "experts");
        List<String> axes = List.of("tp", "tp", "ep", "etp", "edp", "dp", "cp", "pp");
        int last = -1;
        for (int k : chosen) {
            if (k == last) continue;
            last = k;
            int[] s = spans.get(k);
            String old = b.substring(s[0], s[1]);
            Matcher a = ANNOTATION.matcher(old);
            a.matches();
            String repl = switch (r.nextInt(4)) {
                case 0 -> "@" + a.group(1) + "(" + pick(axes) + ")";
                case 1 -> "@" + pick(styles) + "(" + a.group(2) + ")";
                case 2 -> "";
                default -> old + " @" + pick(styles) + "(" + pick(axes) + ")";
            };
            b.replace(s[0], s[1], repl);
        }
        return "// the standard blocks, renamed, with mutated annotations\n" + b + "\n";
    }

    // ---------------------------------------------------------------- helpers

    private <T> T pick(List<T> from) {
        return from.get(r.nextInt(from.size()));
    }

    private static List<Long> divisors(long n) {
        List<Long> out = new ArrayList<>();
        for (long d = 1; d <= n; d++) if (n % d == 0) out.add(d);
        return out;
    }

    private static List<Integer> divisors(int n) {
        List<Integer> out = new ArrayList<>();
        for (int d = 1; d <= n; d++) if (n % d == 0) out.add(d);
        return out;
    }

    private static List<Integer> divisorsOf(int n, List<Integer> candidates) {
        List<Integer> out = new ArrayList<>();
        for (int c : candidates) if (n % c == 0) out.add(c);
        return out.isEmpty() ? List.of(n) : out;
    }

    /** Writes a failing case to {@code dir} as {@code fuzz_SEED.pdag}, its reason in a closing comment. */
    public static void keep(Path dir, Result r) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("fuzz_" + r.seed() + ".pdag"), r.source() + "\n/* " + r.why().replace("*/", "* /") + " */\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Runs {@code count} cases from seed {@code first} on {@code threads} threads, prints the tally,
     * and writes each failing case to {@code dir} as {@code fuzz_SEED.pdag} with its reason. Exit
     * status 1 when any case failed. Arguments: first count threads dir.
     */
    public static void main(String[] args) throws Exception {
        long first = Long.parseLong(args[0]);
        int count = Integer.parseInt(args[1]);
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        Path dir = Path.of(args.length > 3 ? args[3] : "fuzz-failures");
        Files.createDirectories(dir);
        java.util.concurrent.atomic.AtomicLong next = new java.util.concurrent.atomic.AtomicLong(first);
        Map<Outcome, java.util.concurrent.atomic.AtomicInteger> tally = new java.util.concurrent.ConcurrentHashMap<>();
        Map<String, java.util.concurrent.atomic.AtomicInteger> refusals = new java.util.concurrent.ConcurrentHashMap<>();
        Map<String, java.util.concurrent.atomic.AtomicInteger> training = new java.util.concurrent.ConcurrentHashMap<>();
        Map<String, java.util.concurrent.atomic.AtomicInteger> trainingRefusals = new java.util.concurrent.ConcurrentHashMap<>();
        long start = System.nanoTime();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread w = new Thread(() -> {
                for (long s = next.getAndIncrement(); s < first + count; s = next.getAndIncrement()) {
                    Result res = run(s);
                    tally.computeIfAbsent(res.outcome(), k -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
                    if (res.refusedBy() != null) refusals.computeIfAbsent(res.refusedBy(), k -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
                    if (training(s)) {
                        training.computeIfAbsent(res.outcome().name(), k -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
                        if (res.refusedBy() != null) {
                            trainingRefusals.computeIfAbsent(res.refusedBy(), k -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
                        }
                    }
                    if (res.outcome() == Outcome.FAILED) {
                        keep(dir, res);
                        System.out.println("FAILED " + s + ": " + res.why().lines().findFirst().orElse(""));
                    }
                    long done = s - first + 1;
                    if (done % 1000 == 0) System.out.println("... " + done + " cases, " + tally + ", " + (System.nanoTime() - start) / 1_000_000_000 + " s");
                }
            });
            w.start();
            workers.add(w);
        }
        for (Thread w : workers) w.join();
        System.out.println(count + " cases from seed " + first + ": " + tally + " in " + (System.nanoTime() - start) / 1_000_000_000 + " s");
        List<Map.Entry<String, java.util.concurrent.atomic.AtomicInteger>> rs = new ArrayList<>(refusals.entrySet());
        rs.sort((a, b) -> b.getValue().get() - a.getValue().get());
        System.out.println("refused by: " + rs.subList(0, Math.min(12, rs.size())));
        System.out.println("training steps among them: " + training);
        List<Map.Entry<String, java.util.concurrent.atomic.AtomicInteger>> ts = new ArrayList<>(trainingRefusals.entrySet());
        ts.sort((a, b) -> b.getValue().get() - a.getValue().get());
        System.out.println("training steps refused by: " + ts.subList(0, Math.min(12, ts.size())));
        System.exit(tally.getOrDefault(Outcome.FAILED, new java.util.concurrent.atomic.AtomicInteger()).get() > 0 ? 1 : 0);
    }
}
