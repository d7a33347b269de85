package pdagc.launch;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import pdagc.diag.Diags;
import pdagc.diag.Diagnostics;
import pdagc.ir.DType;
import pdagc.mesh.Mesh;
import pdagc.mesh.MeshAxes;
import pdagc.sem.Deployment;
import pdagc.sem.Phase;
import pdagc.sem.StrategySpec;
import pdagc.sem.WorkloadSpec;

/**
 * The serve command of vLLM or SGLang that runs a serving or inference plan: tensor, pipeline and
 * data-parallel sizes, expert parallelism, the context length, the batch and the precision.
 *
 * <p>Rank layouts, from the engines' sources: vLLM numbers a stage's GPUs [dp, pp, tp] (tp
 * fastest); its MoE layers fold the dp x tp GPUs of a stage, experts whole over them with
 * {@code --enable-expert-parallel}, else each expert split over them. SGLang runs one group of
 * {@code --tp-size} GPUs per stage; with {@code --enable-dp-attention} its attention runs
 * {@code --dp-size} data-parallel groups of tp/dp GPUs inside it, and its experts fold the same
 * GPUs as {@code --ep-size} groups of tp/ep (etp fastest). A plan whose GPUs these layouts do not
 * place as it does, or that uses what these flags cannot say (context or sequence parallelism),
 * is error E0701.
 */
final class ServeLaunch {
    private ServeLaunch() {}

    /**
     * {@code batchLimit}: the requests in flight the engine admits in all, where a run at a rate says
     * (else the workload's batch); {@code chunkTokens}: the tokens an iteration takes, where the run
     * chunks prompts (vLLM's {@code --max-num-batched-tokens} with {@code --enable-chunked-prefill},
     * SGLang's {@code --chunked-prefill-size}).
     */
    static Optional<String> write(Deployment d, Target target, java.util.OptionalLong requestTokens, java.util.OptionalLong batchLimit,
            java.util.OptionalLong chunkTokens, Diagnostics diagnostics) {
        int errors = diagnostics.errorReports();
        String name = target.display();
        WorkloadSpec w = d.workload();
        if (w.phase() == Phase.TRAIN) {
            diagnostics.add(Diags.launchWrongWorkload(w.span(), name, "serving and inference", w.name(), "a training step",
                    "train it with `--for megatron`, or serve it with a serving workload (`input`, `output`)"));
            return Optional.empty();
        }
        StrategySpec s = d.strategy();
        Mesh mesh = s.mesh();
        int world = d.cluster().count();
        int tp = mesh.size(MeshAxes.TP);
        int pp = mesh.size(MeshAxes.PP);
        int cp = mesh.size(MeshAxes.CP);
        boolean moe = d.model().isMoe();
        int stage = world / pp;
        int dp = stage / (tp * cp);
        int ep = moe ? s.size(MeshAxes.EP) : 1;
        int etp = moe ? s.size(MeshAxes.ETP) : tp;
        if (cp > 1) {
            diagnostics.add(Diags.launchCannotExpress(s.axisSpan(MeshAxes.CP), name, "context parallelism over the whole sequence",
                    "keys and values all-gathered over " + cp + " GPUs", "serve with tp, pp, dp and ep only"));
        }
        boolean sequenceParallel = s.sequenceParallel() && tp > 1;
        if (sequenceParallel && (target != Target.VLLM || !d.model().norm().equals("rmsnorm"))) {
            diagnostics.add(Diags.launchCannotExpress(s.spanOf("sequence_parallel"), name, "Megatron-style sequence parallelism"
                            + (target == Target.VLLM ? " around " + d.model().norm() : ""), "norms and residuals split over tp",
                    target == Target.VLLM ? "vLLM's sequence-parallelism pass rewrites an all-reduce before an RMSNorm only: leave out `sequence_parallel`"
                            : "leave out `sequence_parallel`"));
        }
        if (s.pipeline().microBatches() > 1) {
            diagnostics.add(Diags.launchNotPassed(s.spanOf("micro_batches"), "`micro_batches " + s.pipeline().microBatches() + "`", name,
                    "the engine's scheduler forms the batches that flow through the pipeline stages"));
        }
        List<String> flags = new ArrayList<>();
        if (diagnostics.errorReports() == errors) {
            if (target == Target.VLLM) vllm(d, tp, pp, dp, ep, etp, moe, flags, diagnostics);
            else sglang(d, tp, pp, dp, ep, etp, moe, flags, diagnostics);
        }
        // A serving request holds its prompt and every output token; a decode step its context; a prefill its sequence.
        long context = requestTokens.orElse(w.phase() == Phase.DECODE ? w.context() : w.seq());
        flags.add((target == Target.VLLM ? "--max-model-len " : "--context-length ") + context);
        long replicas = target == Target.VLLM || !flags.contains("--enable-dp-attention") ? dp : 1;
        long batch = batchLimit.orElse(w.batch());
        if (batch % replicas != 0) {
            diagnostics.add(Diags.launchCannotExpress(w.spanOf("batch"), name, "a batch of " + batch + " over " + replicas + " data-parallel ranks",
                    "not a whole number of sequences per rank", "give each data-parallel rank the same number of sequences"));
        }
        flags.add((target == Target.VLLM ? "--max-num-seqs " : "--max-running-requests ") + batch / Math.max(1, replicas));
        if (chunkTokens.isPresent()) {
            if (target == Target.VLLM) flags.add("--enable-chunked-prefill");
            flags.add((target == Target.VLLM ? "--max-num-batched-tokens " : "--chunked-prefill-size ") + chunkTokens.getAsLong());
        }
        precision(d, target, flags, diagnostics);
        if (diagnostics.errorReports() > errors) return Optional.empty();
        int perNode = Math.min(d.cluster().perNode(), world);
        int nodes = (world + perNode - 1) / perNode;
        StringBuilder b = new StringBuilder("#!/usr/bin/env bash\n");
        b.append("# ").append(d.name()).append(": model ").append(d.model().name()).append(" on cluster ").append(d.cluster().name()).append(" (")
                .append(world).append(" ").append(d.cluster().gpu().name()).append(") with strategy ").append(s.name()).append(" for workload ")
                .append(w.name()).append(".\n");
        if (target == Target.VLLM) {
            b.append("# Written by `pdagc --emit launch --for vllm`: `vllm serve` engine arguments (vLLM v0.12.0, vllm/engine/arg_utils.py).\n");
            b.append("# MODEL is the checkpoint of ").append(d.model().name()).append(" (a Hugging Face name or a directory).\n");
            if (nodes > 1) b.append("# The plan spans ").append(nodes).append(" nodes: start vLLM's Ray cluster over them first.\n");
            b.append("vllm serve \"${MODEL:?the checkpoint of ").append(d.model().name()).append("}\"");
        } else {
            b.append("# Written by `pdagc --emit launch --for sglang`: SGLang server arguments (python/sglang/srt/server_args.py).\n");
            b.append("# MODEL is the checkpoint of ").append(d.model().name()).append(" (a Hugging Face name or a directory).\n");
            if (nodes > 1) b.append("# The plan spans ").append(nodes).append(" nodes: run this on each with NODE_RANK and DIST_INIT_ADDR set.\n");
            b.append("python -m sglang.launch_server --model-path \"${MODEL:?the checkpoint of ").append(d.model().name()).append("}\"");
            if (nodes > 1) {
                b.append(" \\\n  --nnodes ").append(nodes).append(" --node-rank \"${NODE_RANK:-0}\" --dist-init-addr \"${DIST_INIT_ADDR:?host:port of node 0}\"");
            }
        }
        for (String f : flags) b.append(" \\\n  ").append(f);
        b.append(" \\\n  \"$@\"\n");
        return Optional.of(b.toString());
    }

    /** vLLM: [dp, pp, tp]; experts whole over a stage's dp x tp GPUs (--enable-expert-parallel) or split over them. */
    private static void vllm(Deployment d, int tp, int pp, int dp, int ep, int etp, boolean moe, List<String> flags, Diagnostics diagnostics) {
        StrategySpec s = d.strategy();
        int world = d.cluster().count();
        boolean expertParallel = moe && ep > 1;
        int stage = dp * tp;
        java.util.function.IntFunction<RankOrder.Coords> layout = r -> {
            int tpc = r % tp;
            int ppc = r / tp % pp;
            int dpc = r / (tp * pp);
            int local = dpc * tp + tpc;
            return new RankOrder.Coords(tpc, 0, ppc, expertParallel ? local : 0, expertParallel ? 0 : moe ? local : tpc);
        };
        boolean fits = !moe || (expertParallel ? ep == stage && etp == 1 : etp == stage);
        Optional<Integer> diff = fits ? RankOrder.firstDifference(s, world, layout, moe) : Optional.of(0);
        if (diff.isPresent()) {
            int r = diff.get();
            diagnostics.add(Diags.launchCannotExpress(s.expertMesh() != null && moe ? s.spanOf("expert_mesh") : s.meshSpan(), "vLLM",
                    moe && !fits ? "experts folded as ep " + ep + " x etp " + etp + " over " + stage + " GPUs" : "this mesh's rank order",
                    moe && !fits ? "vLLM's MoE layers span a stage's dp x tp = " + stage + " GPUs, experts whole (ep " + stage + ") or split (etp " + stage + ")"
                            : "GPU " + r + " is " + RankOrder.pdagc(s, r) + " here; vLLM numbers it " + layout.apply(r),
                    "vLLM numbers ranks [dp, pp, tp], tp fastest: write the mesh in that order; for experts, `expert_mesh [ep " + stage
                            + "]` (--enable-expert-parallel) or `expert_mesh [etp " + stage + "]`"));
            return;
        }
        flags.add("--tensor-parallel-size " + tp);
        if (pp > 1) flags.add("--pipeline-parallel-size " + pp);
        if (dp > 1) flags.add("--data-parallel-size " + dp);
        if (expertParallel) flags.add("--enable-expert-parallel");
        if (s.sequenceParallel() && tp > 1) {
            // vLLM's SequenceParallelismPass (PassConfig.enable_sp): each all-reduce before an RMSNorm becomes a reduce-scatter,
            // the norm on the rank's tokens, and an all-gather, the collectives of pdagc's sequence parallelism.
            flags.add("--compilation-config '" + json(java.util.Map.of("pass_config", java.util.Map.of("enable_sp", true))) + "'");
        }
    }

    private static String json(Object value) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(value);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * SGLang: one tp group of tp x dp GPUs a stage, [pp, tp-group]; dp > 1 is --enable-dp-attention
     * for an MoE model (attention dp groups of tp inside the group, experts over the whole group), and
     * replicas (--dp-size without it, each its own group) for a dense one.
     */
    private static void sglang(Deployment d, int tp, int pp, int dp, int ep, int etp, boolean moe, List<String> flags, Diagnostics diagnostics) {
        StrategySpec s = d.strategy();
        int world = d.cluster().count();
        boolean dpAttention = moe && dp > 1;
        int group = dpAttention ? tp * dp : tp;
        int moeTp = moe ? group / ep : tp;
        java.util.function.IntFunction<RankOrder.Coords> layout = r -> {
            if (dpAttention) {
                int ppc = r / group % pp;
                int g = r % group;
                return new RankOrder.Coords(g % tp, 0, ppc, g / moeTp, g % moeTp);
            }
            int tpc = r % tp;
            int ppc = r / tp % pp;
            return new RankOrder.Coords(tpc, 0, ppc, moe ? tpc / moeTp : 0, moe ? tpc % moeTp : tpc);
        };
        boolean fits = !moe || (group % ep == 0 && etp == moeTp);
        Optional<Integer> diff = fits ? RankOrder.firstDifference(s, world, layout, moe) : Optional.of(0);
        if (diff.isPresent()) {
            int r = diff.get();
            diagnostics.add(Diags.launchCannotExpress(s.meshSpan(), "SGLang",
                    !fits ? "experts folded as ep " + ep + " x etp " + etp + " over " + group + " GPUs" : "this mesh's rank order",
                    !fits ? "SGLang splits each expert over tp / ep = " + moeTp + " GPUs" : "GPU " + r + " is " + RankOrder.pdagc(s, r) + " here; SGLang numbers it " + layout.apply(r),
                    "SGLang numbers ranks [pp, dp, tp] (tp fastest), its experts [ep, etp] over a stage's GPUs: write the mesh in that order"));
            return;
        }
        flags.add("--tp-size " + group);
        if (pp > 1) flags.add("--pp-size " + pp);
        if (dp > 1) flags.add("--dp-size " + dp);
        if (dpAttention) flags.add("--enable-dp-attention");
        if (moe && ep > 1) flags.add("--ep-size " + ep);
    }

    private static void precision(Deployment d, Target target, List<String> flags, Diagnostics diagnostics) {
        WorkloadSpec w = d.workload();
        if (w.dtype() != w.expertDtype()) {
            diagnostics.add(Diags.launchCannotExpress(w.spanOf("dtype"), target.display(), "experts in another precision than the model",
                    "experts in " + w.expertDtype().keyword(), "serve the whole model in one precision"));
            return;
        }
        DType t = w.dtype();
        switch (t) {
            case BF16 -> flags.add("--dtype bfloat16");
            case FP16 -> flags.add("--dtype float16");
            case FP32 -> flags.add("--dtype float32");
            case FP8 -> {
                flags.add("--dtype bfloat16");
                flags.add("--quantization fp8");
                flags.add("--kv-cache-dtype " + (target == Target.VLLM ? "fp8" : "fp8_e4m3"));
            }
        }
    }
}
