package pdagc.launch;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import pdagc.diag.Diags;
import pdagc.diag.Diagnostics;
import pdagc.program.Names;
import pdagc.source.SourceFile;
import pdagc.source.Span;

/**
 * {@code pdagc import megatron ARGS...}: a Megatron-LM command line as a .pdag deployment (model,
 * cluster, training workload, strategy). The arguments are parsed as Megatron's argparse parser
 * would, from the table of its flags ({@link MegatronFlags}: every flag of
 * megatron/training/arguments.py at core_v0.15.0 and whether it takes a value); a leading
 * {@code torchrun [OPTIONS] SCRIPT.py} gives the world layout ({@code --nnodes},
 * {@code --nproc-per-node}). Diagnostics point into the command line itself, shown as one line:
 * an unknown flag (E0711, with a suggestion), a bad value (E0712), a missing size (E0713), a flag
 * that changes the plan in a way pdagc does not model (E0714), contradictory flags (E0715); a
 * Megatron flag outside the plan (data, logging, checkpoints, learning rate) is warning W0716.
 */
public final class MegatronImport {
    private MegatronImport() {}

    public record Result(String text) {}

    /** The flags this importer reads; every other known flag is outside the plan (W0716) or refused (E0714). */
    static final Set<String> READ = Set.of("--num-layers", "--hidden-size", "--ffn-hidden-size", "--num-attention-heads", "--group-query-attention",
            "--num-query-groups", "--kv-channels", "--seq-length", "--max-position-embeddings", "--position-embedding-type",
            "--use-rotary-position-embeddings", "--tokenizer-type", "--vocab-size", "--make-vocab-size-divisible-by", "--normalization", "--swiglu",
            "--disable-bias-linear", "--untie-embeddings-and-output-weights", "--attention-dropout", "--hidden-dropout", "--num-experts",
            "--moe-router-topk", "--moe-ffn-hidden-size", "--moe-router-load-balancing-type", "--moe-token-dispatcher-type", "--bf16", "--fp16",
            "--tensor-model-parallel-size", "--pipeline-model-parallel-size", "--num-layers-per-virtual-pipeline-stage",
            "--num-virtual-stages-per-pipeline-rank", "--decoder-first-pipeline-num-layers", "--decoder-last-pipeline-num-layers",
            "--sequence-parallel", "--context-parallel-size", "--cp-comm-type", "--expert-model-parallel-size", "--expert-tensor-parallel-size",
            "--use-tp-pp-dp-mapping", "--micro-batch-size", "--global-batch-size", "--recompute-granularity", "--recompute-method",
            "--recompute-num-layers", "--recompute-activations", "--use-distributed-optimizer", "--optimizer", "--rotary-base", "--rotary-percent",
            "--norm-epsilon", "--moe-grouped-gemm", "--use-megatron-fsdp", "--data-parallel-sharding-strategy", "--ckpt-format",
            "--overlap-grad-reduce");

    /** Flags that change the plan in ways pdagc does not model, with why and what to do instead. */
    static final Map<String, String> REFUSED = Map.ofEntries(
            Map.entry("--use-torch-fsdp2", "PyTorch FSDP2 is another code path; pdagc's ZeRO stages are --use-distributed-optimizer and Megatron-FSDP's --data-parallel-sharding-strategy"),
            Map.entry("--moe-layer-freq", "dense and MoE layers mixed"),
            Map.entry("--moe-shared-expert-intermediate-size", "shared experts"),
            Map.entry("--multi-latent-attention", "multi-head latent attention"),
            Map.entry("--pipeline-model-parallel-layout", "a custom pipeline layout"),
            Map.entry("--fp8-format", "fp8 training with bf16 master weights"),
            Map.entry("--qk-layernorm", "norms of the queries and keys"),
            Map.entry("--moe-router-pre-softmax", "softmax before the top-k"),
            Map.entry("--moe-router-score-function", "a router score other than softmax"),
            Map.entry("--apply-layernorm-1p", "LayerNorm with 1 + its weight"),
            Map.entry("--squared-relu", "a squared-ReLU MLP"),
            Map.entry("--openai-gelu", "another GELU"),
            Map.entry("--rampup-batch-size", "a batch size that changes during training"),
            Map.entry("--add-qkv-bias", "biases on the query, key and value projections only"),
            Map.entry("--mtp-num-layers", "multi-token prediction"),
            Map.entry("--hybrid-override-pattern", "Mamba layers"));

    /** One argument of the command line and where it is. */
    private record Arg(String text, Span span) {}

    /** One Megatron flag with its values. */
    private record Given(String flag, List<String> values, Span span, Span valueSpan) {}

    public static Optional<Result> run(List<String> args, String gpu, String name, Diagnostics diagnostics) {
        int errors = diagnostics.errorReports();
        StringBuilder text = new StringBuilder();
        List<Arg> parsed = new ArrayList<>();
        List<int[]> at = new ArrayList<>();
        for (String a : args) {
            if (text.length() > 0) text.append(' ');
            at.add(new int[] {text.length(), text.length() + a.length()});
            text.append(a);
        }
        SourceFile file = SourceFile.of("<command line>", null, text.toString());
        for (int i = 0; i < args.size(); i++) parsed.add(new Arg(args.get(i), new Span(file, at.get(i)[0], at.get(i)[1])));
        // A missing flag is reported at the command's first word: the line itself is too long to underline.
        Span whole = parsed.isEmpty() ? new Span(file, 0, 0) : parsed.get(0).span();
        int i = 0;
        Map<String, String> torchrun = new LinkedHashMap<>();
        Map<String, Span> torchrunAt = new LinkedHashMap<>();
        if (i < parsed.size() && (parsed.get(i).text().equals("torchrun") || parsed.get(i).text().endsWith("/torchrun"))) {
            i++;
            while (i < parsed.size() && !parsed.get(i).text().endsWith(".py")) {
                String t = parsed.get(i).text();
                Span sp = parsed.get(i).span();
                i++;
                if (!t.startsWith("-")) continue;
                String key = t.replace('_', '-');
                String value = null;
                int eq = key.indexOf('=');
                if (eq > 0) {
                    value = t.substring(eq + 1);
                    key = key.substring(0, eq);
                } else if (!key.equals("--standalone") && i < parsed.size() && !parsed.get(i).text().startsWith("-") && !parsed.get(i).text().endsWith(".py")) {
                    value = parsed.get(i).text();
                    sp = parsed.get(i).span();
                    i++;
                }
                if (value != null) {
                    torchrun.put(key, value);
                    torchrunAt.put(key, sp);
                }
            }
        }
        if (i < parsed.size() && parsed.get(i).text().endsWith(".py")) i++;
        Map<String, Given> given = new LinkedHashMap<>();
        while (i < parsed.size()) {
            Arg a = parsed.get(i++);
            String t = a.text();
            if (!t.startsWith("--")) {
                diagnostics.add(Diags.megatronBadValue(a.span(), t, "not a flag, and no flag before it takes a value", "Megatron-LM's arguments are `--flag` or `--flag VALUE`"));
                continue;
            }
            String flag = t;
            List<String> values = new ArrayList<>();
            Span valueSpan = null;
            int eq = t.indexOf('=');
            if (eq > 0) {
                flag = t.substring(0, eq);
                values.add(t.substring(eq + 1));
                valueSpan = a.span();
            }
            Optional<MegatronFlags.Kind> kind = MegatronFlags.kind(flag);
            if (kind.isEmpty()) {
                diagnostics.add(Diags.megatronUnknownFlag(a.span(), flag, Names.suggest(flag, MegatronFlags.all())));
                while (eq < 0 && i < parsed.size() && !parsed.get(i).text().startsWith("--")) i++;
                continue;
            }
            if (eq < 0 && kind.get() != MegatronFlags.Kind.FLAG) {
                while (i < parsed.size() && !parsed.get(i).text().startsWith("--")) {
                    Arg v = parsed.get(i++);
                    values.add(v.text());
                    valueSpan = valueSpan == null ? v.span() : valueSpan.to(v.span());
                    if (kind.get() != MegatronFlags.Kind.LIST) break;
                }
                if (values.isEmpty() && kind.get() != MegatronFlags.Kind.OPTIONAL) {
                    diagnostics.add(Diags.megatronBadValue(a.span(), flag, "no value", "give `" + flag + " VALUE`"));
                    continue;
                }
            }
            if (REFUSED.containsKey(flag)) {
                diagnostics.add(Diags.megatronUnsupportedFlag(a.span(), flag, REFUSED.get(flag), "leave it out to import the rest; the plan would differ from this run"));
                continue;
            }
            if (!READ.contains(flag)) {
                diagnostics.add(Diags.megatronFlagIgnored(a.span(), flag));
                continue;
            }
            given.put(flag, new Given(flag, values, a.span(), valueSpan == null ? a.span() : valueSpan));
        }
        if (diagnostics.errorReports() > errors) return Optional.empty();
        return new Translate(given, torchrun, torchrunAt, whole, gpu, name, diagnostics).run()
                .filter(r -> diagnostics.errorReports() == errors);
    }

    /** From the parsed flags to the .pdag text. */
    private static final class Translate {
        final Map<String, Given> g;
        final Map<String, String> torchrun;
        final Map<String, Span> torchrunAt;
        final Span whole;
        final String gpu;
        final String name;
        final Diagnostics d;

        Translate(Map<String, Given> g, Map<String, String> torchrun, Map<String, Span> torchrunAt, Span whole, String gpu, String name, Diagnostics d) {
            this.g = g;
            this.torchrun = torchrun;
            this.torchrunAt = torchrunAt;
            this.whole = whole;
            this.gpu = gpu;
            this.name = name;
            this.d = d;
        }

        boolean has(String flag) {
            return g.containsKey(flag);
        }

        Span at(String flag) {
            return g.containsKey(flag) ? g.get(flag).span() : whole;
        }

        String text(String flag, String fallback) {
            return has(flag) ? g.get(flag).values().get(0) : fallback;
        }

        /** A whole number of at least {@code min}, or {@code fallback} when not given (null: required). */
        Long integer(String flag, Long fallback, long min, String why) {
            if (!has(flag)) {
                if (fallback == null) d.add(Diags.megatronMissingFlag(whole, flag, why));
                return fallback;
            }
            Given x = g.get(flag);
            try {
                long v = Long.parseLong(x.values().get(0));
                if (v < min) {
                    d.add(Diags.megatronBadValue(x.valueSpan(), flag, "must be at least " + min + ", found " + v, "give a whole number of at least " + min));
                    return null;
                }
                return v;
            } catch (NumberFormatException e) {
                d.add(Diags.megatronBadValue(x.valueSpan(), flag, "not a whole number: " + x.values().get(0), "give a whole number"));
                return null;
            }
        }

        Double fraction(String flag, double fallback) {
            if (!has(flag)) return fallback;
            Given x = g.get(flag);
            try {
                double v = Double.parseDouble(x.values().get(0));
                if (!(v >= 0 && v < 1)) {
                    d.add(Diags.megatronBadValue(x.valueSpan(), flag, "must be in [0, 1), found " + x.values().get(0), "give a probability below 1"));
                    return null;
                }
                return v;
            } catch (NumberFormatException e) {
                d.add(Diags.megatronBadValue(x.valueSpan(), flag, "not a number: " + x.values().get(0), "give a probability such as 0.1"));
                return null;
            }
        }

        String choice(String flag, String fallback, List<String> allowed, List<String> refused, String why) {
            String v = text(flag, fallback);
            if (refused.contains(v)) {
                d.add(Diags.megatronUnsupportedFlag(g.get(flag).valueSpan(), flag + " " + v, why, "pdagc imports " + String.join(" or ", allowed)));
                return null;
            }
            if (!allowed.contains(v)) {
                d.add(Diags.megatronBadValue(g.get(flag).valueSpan(), flag, "`" + v + "` is not one of " + String.join(", ", allowed) + (refused.isEmpty() ? "" : ", " + String.join(", ", refused)),
                        "give one of " + String.join(", ", allowed)));
                return null;
            }
            return v;
        }

        Optional<Result> run() {
            // ---- model
            Long layers = integer("--num-layers", null, 1, ": the model's layers");
            Long hidden = integer("--hidden-size", null, 1, ": the model's width");
            Long heads = integer("--num-attention-heads", null, 1, ": the attention heads");
            Long seq = integer("--seq-length", null, 1, ": the training sequence length");
            boolean swiglu = has("--swiglu");
            Long ffn = hidden == null ? null : integer("--ffn-hidden-size", swiglu ? (4 * hidden * 2 / 3) / 64 * 64 : 4 * hidden, 1, "");
            Long kv = has("--group-query-attention") ? integer("--num-query-groups", 1L, 1, "") : heads;
            Long headDim = heads == null || hidden == null ? null : integer("--kv-channels", hidden / heads, 1, "");
            String norm = choice("--normalization", "LayerNorm", List.of("LayerNorm", "RMSNorm"), List.of(), "");
            String position = has("--use-rotary-position-embeddings") ? "rope"
                    : choice("--position-embedding-type", "learned_absolute", List.of("learned_absolute", "rope", "none"), List.of("mrope", "relative"),
                            "position embeddings with their own weights or sections pdagc does not model");
            Double attentionDropout = fraction("--attention-dropout", 0.1);
            Double hiddenDropout = fraction("--hidden-dropout", 0.1);
            boolean biases = !has("--disable-bias-linear");
            boolean untied = has("--untie-embeddings-and-output-weights");
            Long experts = integer("--num-experts", 0L, 1, "");
            Long top = experts != null && experts > 0 ? integer("--moe-router-topk", 2L, 1, "") : 0L;
            Long expertFfn = experts != null && experts > 0 ? integer("--moe-ffn-hidden-size", ffn, 1, "") : 0L;
            if (experts != null && experts > 0) {
                choice("--moe-router-load-balancing-type", "aux_loss", List.of("none"), List.of("aux_loss", "seq_aux_loss", "global_aux_loss", "sinkhorn"),
                        "a load-balancing loss or algorithm, which pdagc's router does not have");
                choice("--moe-token-dispatcher-type", "allgather", List.of("alltoall"), List.of("allgather", "flex"),
                        "pdagc dispatches tokens with an all-to-all over the expert-parallel ranks");
            }
            Long vocab = vocab();
            Long positions = has("--max-position-embeddings") ? integer("--max-position-embeddings", null, 1, "") : seq;
            // ---- the layer family
            String layer = null;
            String head = null;
            String embed = "embedding";
            String act = null;
            double dropout = 0;
            if (norm != null && position != null && attentionDropout != null && hiddenDropout != null) {
                if (swiglu) {
                    layer = experts != null && experts > 0 ? "gated_moe_layer" : "gated_dense_layer";
                    act = "silu";
                    head = untied ? "lm_head" : "tied_lm_head";
                    if (!norm.equals("RMSNorm")) d.add(Diags.megatronUnsupportedFlag(at("--normalization"), "--normalization LayerNorm", "with --swiglu: the gated layers' norms have no bias", "use --normalization RMSNorm"));
                    if (biases) d.add(Diags.megatronUnsupportedFlag(at("--swiglu"), "--swiglu", "with linear biases: the gated layers have none", "add --disable-bias-linear"));
                    if (attentionDropout > 0 || hiddenDropout > 0) d.add(Diags.megatronUnsupportedFlag(has("--hidden-dropout") ? at("--hidden-dropout") : at("--swiglu"), "--swiglu",
                            "with dropout: the gated MLP block does not drop", "add --attention-dropout 0.0 --hidden-dropout 0.0"));
                    if (position.equals("learned_absolute")) {
                        d.add(Diags.megatronUnsupportedFlag(has("--position-embedding-type") ? at("--position-embedding-type") : at("--swiglu"),
                                "--position-embedding-type learned_absolute" + (has("--position-embedding-type") ? "" : " (Megatron-LM's default)"),
                                "with --swiglu: learned positions are GPT-2's embedding", "use --position-embedding-type rope"));
                    }
                } else {
                    if (experts != null && experts > 0) {
                        d.add(Diags.megatronUnsupportedFlag(at("--num-experts"), "--num-experts", "without --swiglu: pdagc's MoE layers with Megatron flags are SwiGLU", "add --swiglu"));
                    }
                    layer = "gpt2_layer";
                    act = "gelu";
                    head = untied ? "layernorm_lm_head" : "gpt2_head";
                    if (position.equals("learned_absolute")) embed = "gpt2_embedding";
                    if (!norm.equals("LayerNorm")) d.add(Diags.megatronUnsupportedFlag(at("--normalization"), "--normalization RMSNorm", "without --swiglu: GPT-2's layers norm with LayerNorm", "use --normalization LayerNorm"));
                    if (!biases) d.add(Diags.megatronUnsupportedFlag(at("--disable-bias-linear"), "--disable-bias-linear", "without --swiglu: GPT-2's layers have biases", "leave it out"));
                    if (!attentionDropout.equals(hiddenDropout)) {
                        d.add(Diags.megatronContradiction(at("--attention-dropout"), "--attention-dropout " + attentionDropout + " and --hidden-dropout " + hiddenDropout,
                                "pdagc's model has one dropout rate"));
                    }
                    dropout = hiddenDropout;
                }
            }
            // ---- parallel sizes and the world
            Long tp = integer("--tensor-model-parallel-size", 1L, 1, "");
            Long pp = integer("--pipeline-model-parallel-size", 1L, 1, "");
            Long cp = integer("--context-parallel-size", 1L, 1, "");
            Long ep = integer("--expert-model-parallel-size", 1L, 1, "");
            Long etp = has("--expert-tensor-parallel-size") ? integer("--expert-tensor-parallel-size", null, 1, "") : tp;
            Long nodes = torchrunInt("--nnodes");
            Long perNode = torchrunInt("--nproc-per-node");
            Long mbs = integer("--micro-batch-size", null, 1, ": the sequences of a micro-batch");
            Long gbs = integer("--global-batch-size", null, 1, ": the sequences of a step");
            if (cp != null && cp > 1) d.add(Diags.contextParallelChunks(at("--context-parallel-size"), cp, "imported as contiguous chunks"));
            if (has("--cp-comm-type")) {
                choice("--cp-comm-type", "p2p", List.of("allgather"), List.of("p2p", "a2a", "a2a+p2p"),
                        "pdagc's context parallelism all-gathers keys and values before attention (Megatron's allgather)");
            }
            if (has("--optimizer")) choice("--optimizer", "adam", List.of("adam"), List.of("sgd"), "pdagc's training step runs AdamW");
            String recompute = null;
            if (has("--recompute-activations")) recompute = "selective";
            if (has("--recompute-granularity")) recompute = choice("--recompute-granularity", null, List.of("full", "selective"), List.of(), "");
            if ("full".equals(recompute)) {
                choice("--recompute-method", "uniform", List.of("uniform"), List.of("block"), "block recomputes some layers of a stage only");
                Long n = integer("--recompute-num-layers", 1L, 1, "");
                if (n != null && n != 1) {
                    d.add(Diags.megatronUnsupportedFlag(g.get("--recompute-num-layers").valueSpan(), "--recompute-num-layers " + n,
                            "groups of layers recomputed from their first input; pdagc's full recomputation recomputes each layer from its input", "give 1"));
                }
            }
            Long vpLayers = has("--num-layers-per-virtual-pipeline-stage") ? integer("--num-layers-per-virtual-pipeline-stage", null, 1, "") : null;
            Long vpStages = has("--num-virtual-stages-per-pipeline-rank") ? integer("--num-virtual-stages-per-pipeline-rank", null, 1, "") : null;
            Long first = has("--decoder-first-pipeline-num-layers") ? integer("--decoder-first-pipeline-num-layers", null, 1, "") : null;
            Long last = has("--decoder-last-pipeline-num-layers") ? integer("--decoder-last-pipeline-num-layers", null, 1, "") : null;
            String dtype = has("--bf16") ? "bf16" : has("--fp16") ? "fp16" : "fp32";
            if (has("--bf16") && has("--fp16")) d.add(Diags.megatronContradiction(at("--fp16"), "--bf16 and --fp16", "one precision"));
            if (d.hasErrors() || layers == null || hidden == null || heads == null || seq == null || ffn == null || kv == null || headDim == null || vocab == null
                    || tp == null || pp == null || cp == null || ep == null || etp == null || nodes == null || perNode == null || mbs == null || gbs == null
                    || experts == null || top == null || expertFfn == null || layer == null || positions == null) {
                return Optional.empty();
            }
            long world = nodes * perNode;
            if (world % (tp * pp * cp) != 0) {
                d.add(Diags.megatronContradiction(at("--tensor-model-parallel-size"), world + " GPUs (--nnodes x --nproc-per-node) are not a multiple of tp " + tp + " x pp " + pp
                        + " x cp " + cp, "the world does not split"));
                return Optional.empty();
            }
            long dp = world / (tp * pp * cp);
            if (gbs % (mbs * dp) != 0) {
                d.add(Diags.megatronContradiction(at("--global-batch-size"), "a global batch of " + gbs + " is not a multiple of --micro-batch-size " + mbs + " x " + dp
                        + " data-parallel ranks", "the micro-batches do not fill the batch"));
                return Optional.empty();
            }
            long micro = gbs / (mbs * dp);
            long stageGpus = world / pp;
            if (experts > 0 && stageGpus % (ep * etp) != 0) {
                d.add(Diags.megatronContradiction(at("--expert-model-parallel-size"), "ep " + ep + " x etp " + etp + " does not divide the " + stageGpus
                        + " GPUs of a pipeline stage", "the experts do not fold the stage"));
                return Optional.empty();
            }
            long virtual = 1;
            if (vpLayers != null) {
                if (layers % (pp * vpLayers) != 0) {
                    d.add(Diags.megatronContradiction(at("--num-layers-per-virtual-pipeline-stage"), layers + " layers do not split into chunks of " + vpLayers + " on " + pp
                            + " stages", "not a whole number of chunks"));
                    return Optional.empty();
                }
                virtual = layers / (pp * vpLayers);
            } else if (vpStages != null) {
                virtual = vpStages;
            }
            List<Long> stageLayers = null;
            if (first != null || last != null) {
                long f = first == null ? -1 : first;
                long l = last == null ? -1 : last;
                long middle = pp - (first != null ? 1 : 0) - (last != null ? 1 : 0);
                long rest = layers - Math.max(0, f) - Math.max(0, l);
                if (virtual > 1 || middle < 0 || rest < 0 || (middle == 0 ? rest != 0 : rest % middle != 0)) {
                    d.add(Diags.megatronContradiction(at(first != null ? "--decoder-first-pipeline-num-layers" : "--decoder-last-pipeline-num-layers"),
                            "the first and last stages' layers leave " + rest + " layers for " + middle + " stages", "uneven"));
                    return Optional.empty();
                }
                stageLayers = new ArrayList<>();
                for (int s = 0; s < pp; s++) {
                    stageLayers.add(s == 0 && first != null ? f : s == pp - 1 && last != null ? l : rest / middle);
                }
            }
            // ---- the mesh: Megatron's rank order as a pdagc mesh (row-major, last axis fastest)
            boolean tpPpDp = has("--use-tp-pp-dp-mapping");
            if (tpPpDp && pp > 1 && experts > 0 && stageGpus / (ep * etp) != dp) {
                // parallel_state.py: "When not using pp-last rank ordering, the data parallel size of the attention and moe layers must be the same".
                d.add(Diags.megatronContradiction(at("--use-tp-pp-dp-mapping"), "--use-tp-pp-dp-mapping with pipeline stages and " + dp
                        + " data-parallel ranks for attention but " + stageGpus / (ep * etp) + " for the experts", "Megatron-LM refuses this order"));
                return Optional.empty();
            }
            List<String> mesh = new ArrayList<>();
            String expertMesh = null;
            boolean moe = experts > 0;
            boolean epAxis = moe && ep > 1 && etp.equals(tp) && cp == 1 && dp % ep == 0;
            long outerDp = epAxis ? dp / ep : dp;
            if (moe && !epAxis && (ep > 1 || !etp.equals(tp))) {
                expertMesh = "[edp " + stageGpus / (ep * etp) + ", ep " + ep + ", etp " + etp + "]";
            }
            if (tpPpDp) {
                axis(mesh, "dp", outerDp);
                axis(mesh, "pp", pp);
            } else {
                axis(mesh, "pp", pp);
                axis(mesh, "dp", outerDp);
            }
            if (epAxis) axis(mesh, "ep", ep);
            axis(mesh, "cp", cp);
            axis(mesh, "tp", tp);
            if (mesh.isEmpty()) mesh.add("dp 1");
            // ---- the file
            StringBuilder b = new StringBuilder();
            b.append("// ").append(name).append(": imported by `pdagc import megatron` from a Megatron-LM command line (flags of core_v0.15.0).\n");
            b.append("// The cluster's GPU is ").append(gpu).append(" (`--gpu`); RoPE has no weights and is not modelled.\n");
            b.append("import std.hardware\nimport std.blocks\n\n");
            b.append("model ").append(name).append("Model {\n");
            prop(b, "vocab", vocab, "--vocab-size, as Megatron pads it");
            prop(b, "hidden", hidden, "--hidden-size");
            prop(b, "heads", heads, "--num-attention-heads");
            prop(b, "kv_heads", kv, has("--group-query-attention") ? "--num-query-groups" : "--num-attention-heads (no --group-query-attention)");
            prop(b, "head_dim", headDim, has("--kv-channels") ? "--kv-channels" : "--hidden-size / --num-attention-heads");
            prop(b, "layers", layers, "--num-layers");
            prop(b, "ffn", ffn, has("--ffn-hidden-size") ? "--ffn-hidden-size" : "Megatron's default --ffn-hidden-size");
            if (moe) {
                prop(b, "experts", experts, "--num-experts");
                prop(b, "top", top, "--moe-router-topk");
                prop(b, "expert_ffn", expertFfn, has("--moe-ffn-hidden-size") ? "--moe-ffn-hidden-size" : "--ffn-hidden-size");
            }
            if (embed.equals("gpt2_embedding")) prop(b, "positions", positions, "--max-position-embeddings");
            word(b, "norm", norm.equals("RMSNorm") ? "rmsnorm" : "layernorm", "--normalization " + norm);
            word(b, "act", act, swiglu ? "--swiglu" : "GELU (no --swiglu)");
            if (dropout > 0) word(b, "dropout", LaunchText.decimal(dropout), "--hidden-dropout and --attention-dropout");
            word(b, "embed", embed, "--position-embedding-type " + position);
            word(b, "layer", layer, swiglu ? "--swiglu --disable-bias-linear" : "LayerNorm, GELU, linear biases");
            word(b, "head", head, untied ? "--untie-embeddings-and-output-weights" : "tied to the embedding");
            b.append("}\n\n");
            b.append("cluster ").append(name).append("Cluster { gpu ").append(gpu).append("  count ").append(world).append("  per_node ").append(perNode)
                    .append(" }  // torchrun --nnodes ").append(nodes).append(" --nproc-per-node ").append(perNode).append("\n\n");
            b.append("workload ").append(name).append("Step { batch ").append(gbs).append("  seq ").append(seq).append("  phase train  dtype ").append(dtype)
                    .append(" }  // --global-batch-size, --seq-length\n\n");
            b.append("// Megatron-LM's rank order ").append(tpPpDp ? "tp-cp-ep-pp-dp (--use-tp-pp-dp-mapping)" : "tp-cp-ep-dp-pp").append(", tp fastest.\n");
            b.append("strategy ").append(name).append("Strategy {\n");
            b.append("  mesh [").append(String.join(", ", mesh)).append("]\n");
            if (expertMesh != null) b.append("  expert_mesh ").append(expertMesh).append("  // --expert-model-parallel-size, --expert-tensor-parallel-size\n");
            if (has("--sequence-parallel") && tp > 1) b.append("  sequence_parallel true\n");
            b.append("  micro_batches ").append(micro).append("  // --global-batch-size / (--micro-batch-size x data-parallel ranks)\n");
            if (virtual > 1) {
                b.append("  schedule interleaved\n  virtual_stages ").append(virtual).append("\n");
            } else if (pp > 1 || micro > 1) {
                b.append("  schedule 1f1b\n");
            }
            if (stageLayers != null) b.append("  stage_layers [").append(String.join(", ", stageLayers.stream().map(String::valueOf).toList())).append("]\n");
            String sharding = text("--data-parallel-sharding-strategy", "no_shard");
            if (has("--use-megatron-fsdp")) {
                // Megatron-FSDP's sharding strategies are ZeRO's stages.
                int zero = switch (sharding) {
                    case "optim" -> 1;
                    case "optim_grads" -> 2;
                    case "optim_grads_params" -> 3;
                    case "no_shard" -> 0;
                    default -> {
                        d.add(Diags.megatronBadValue(g.get("--data-parallel-sharding-strategy").valueSpan(), "--data-parallel-sharding-strategy",
                                "no such strategy: " + sharding, "Megatron-LM's strategies are no_shard, optim, optim_grads and optim_grads_params"));
                        yield 0;
                    }
                };
                if (zero > 0) b.append("  zero ").append(zero).append("  // --use-megatron-fsdp --data-parallel-sharding-strategy ").append(sharding).append("\n");
            } else if (has("--use-distributed-optimizer")) {
                b.append("  zero 1  // --use-distributed-optimizer\n");
            }
            if (recompute != null) b.append("  recompute ").append(recompute).append("\n");
            if (has("--overlap-grad-reduce")) b.append("  overlap_grad_reduce true  // --overlap-grad-reduce\n");
            b.append("}\n\n");
            b.append("deploy ").append(name).append(" = ").append(name).append("Model on ").append(name).append("Cluster with ").append(name).append("Strategy for ")
                    .append(name).append("Step\n");
            // In pdagc fmt's canonical layout, as `pdagc fmt --check` wants a file.
            Diagnostics syntax = new Diagnostics();
            String text = pdagc.format.Formatter.format(SourceFile.of(name + ".pdag", null, b.toString()), syntax)
                    .orElseThrow(() -> new IllegalStateException("the imported file does not parse: " + syntax.all()));
            return Optional.of(new Result(text));
        }

        private Long torchrunInt(String key) {
            String v = torchrun.get(key);
            if (v == null) {
                d.add(Diags.megatronMissingFlag(whole, key, ": torchrun's " + key + " gives the world size (write `torchrun --nnodes N --nproc-per-node G pretrain_gpt.py ...`)"));
                return null;
            }
            try {
                long n = Long.parseLong(v);
                if (n >= 1) return n;
            } catch (NumberFormatException e) {
                // reported below
            }
            d.add(Diags.megatronBadValue(torchrunAt.get(key), key, "not a whole number of at least 1: " + v, "give a fixed count (not MIN:MAX)"));
            return null;
        }

        /**
         * The model's vocabulary: --padded-vocab-size... is not an argument; Megatron pads the
         * tokenizer's size (NullTokenizer: --vocab-size + 1) to a multiple of
         * --make-vocab-size-divisible-by (128) x tp. Other tokenizers read their size from files.
         */
        private Long vocab() {
            String tokenizer = text("--tokenizer-type", null);
            if (tokenizer == null || !tokenizer.equals("NullTokenizer")) {
                if (tokenizer == null) {
                    d.add(Diags.megatronMissingFlag(whole, "--tokenizer-type", ": the vocabulary size (give --tokenizer-type NullTokenizer --vocab-size N)"));
                } else {
                    d.add(Diags.megatronUnsupportedFlag(g.get("--tokenizer-type").valueSpan(), "--tokenizer-type " + tokenizer,
                            "this tokenizer's size comes from its files, which the importer does not read", "give --tokenizer-type NullTokenizer --vocab-size N (N + 1 tokens)"));
                }
                return null;
            }
            Long v = integer("--vocab-size", null, 1, ": NullTokenizer's size");
            Long divisible = integer("--make-vocab-size-divisible-by", 128L, 1, "");
            Long tp = integer("--tensor-model-parallel-size", 1L, 1, "");
            if (v == null || divisible == null || tp == null) return null;
            long multiple = divisible * tp;
            return (v + 1 + multiple - 1) / multiple * multiple;
        }

        private static void axis(List<String> mesh, String name, long size) {
            if (size > 1) mesh.add(name + " " + size);
        }

        private static void prop(StringBuilder b, String key, long value, String source) {
            b.append(String.format(java.util.Locale.ROOT, "  %-10s %-12s // %s%n", key, value, source));
        }

        private static void word(StringBuilder b, String key, String value, String source) {
            b.append(String.format(java.util.Locale.ROOT, "  %-10s %-12s // %s%n", key, value, source));
        }
    }
}
