package pdagc.launch;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import pdagc.diag.Diags;
import pdagc.diag.Diagnostics;
import pdagc.ir.DType;
import pdagc.mesh.Mesh;
import pdagc.mesh.MeshAxes;
import pdagc.mesh.Pipeline;
import pdagc.sem.Deployment;
import pdagc.sem.ModelSpec;
import pdagc.sem.Phase;
import pdagc.sem.StrategySpec;
import pdagc.sem.Training;
import pdagc.sem.WorkloadSpec;

/**
 * The Megatron-LM command line that runs a training plan: {@code torchrun} with the cluster's
 * world layout, then pretrain_gpt.py's arguments for the model's sizes, the parallel sizes, the
 * batch, recomputation, the distributed optimizer and the precision. Every flag is one of
 * megatron/training/arguments.py at core_v0.15.0 ({@link MegatronFlags}). What the flags cannot
 * say (a rank order Megatron does not number, uneven stages other than a first and last stage, a
 * layer that Megatron's GPT does not build) is error E0701, and nothing is written.
 */
final class MegatronLaunch {
    static final String TARGET = Target.MEGATRON.display();

    private MegatronLaunch() {}

    /** One flag and its value (null for a switch). */
    record Flag(String name, String value) {}

    static Optional<String> write(Deployment d, boolean serving, Diagnostics diagnostics) {
        int errors = diagnostics.errorReports();
        WorkloadSpec w = d.workload();
        if (w.phase() != Phase.TRAIN || serving) {
            diagnostics.add(Diags.launchWrongWorkload(w.span(), TARGET, "training steps (pretrain_gpt.py)", w.name(),
                    serving ? "a serving workload" : "a " + w.phase().keyword() + " step",
                    "serve it with `--for vllm` or `--for sglang`, or train it with `phase train`"));
            return Optional.empty();
        }
        StrategySpec s = d.strategy();
        ModelSpec model = d.model();
        Mesh mesh = s.mesh();
        int world = d.cluster().count();
        int tp = mesh.size(MeshAxes.TP);
        int cp = mesh.size(MeshAxes.CP);
        int pp = mesh.size(MeshAxes.PP);
        int dp = world / (tp * cp * pp);
        boolean moe = model.isMoe();
        int ep = moe ? s.size(MeshAxes.EP) : 1;
        int etp = moe ? s.size(MeshAxes.ETP) : tp;
        List<Flag> flags = new ArrayList<>();

        // The rank order: Megatron's default, else with --use-tp-pp-dp-mapping.
        RankOrder.Megatron plain = new RankOrder.Megatron(tp, cp, pp, dp, ep, etp, false);
        RankOrder.Megatron tpPpDp = new RankOrder.Megatron(tp, cp, pp, dp, ep, etp, true);
        Optional<Integer> plainDiff = RankOrder.firstDifference(s, world, plain::coords, moe);
        boolean expertsAgree = !moe || pp == 1 || world / (etp * ep * pp) == dp;
        Optional<Integer> tpPpDpDiff = expertsAgree ? RankOrder.firstDifference(s, world, tpPpDp::coords, moe) : Optional.of(0);
        if (plainDiff.isPresent() && tpPpDpDiff.isPresent()) {
            int r = plainDiff.get();
            diagnostics.add(Diags.launchCannotExpress(s.meshSpan(), TARGET, "this mesh's rank order",
                    "GPU " + r + " is " + RankOrder.pdagc(s, r) + " here; Megatron-LM numbers it " + plain.coords(r),
                    "Megatron-LM numbers ranks tp fastest, then cp, then dp, then pp (with --use-tp-pp-dp-mapping: pp before dp); its experts etp"
                            + " fastest, then ep: write the mesh as [pp, dp, cp, tp] or [dp, pp, cp, tp] (with `ep` right above `tp`, or an"
                            + " `expert_mesh [edp, ep, etp]`)"));
        } else if (plainDiff.isPresent()) {
            flags.add(new Flag("--use-tp-pp-dp-mapping", null));
        }
        flags.add(0, new Flag("--tensor-model-parallel-size", Integer.toString(tp)));
        flags.add(1, new Flag("--pipeline-model-parallel-size", Integer.toString(pp)));
        pipeline(d, flags, diagnostics);
        if (s.sequenceParallel() && tp > 1) flags.add(new Flag("--sequence-parallel", null));
        if (cp > 1) {
            flags.add(new Flag("--context-parallel-size", Integer.toString(cp)));
            // pdagc all-gathers keys and values over cp before attention, Megatron's allgather communication type.
            flags.add(new Flag("--cp-comm-type", "allgather"));
            diagnostics.add(Diags.contextParallelChunks(s.axisSpan(MeshAxes.CP), cp, "this plan's contiguous chunks"));
        }
        if (moe) {
            flags.add(new Flag("--expert-model-parallel-size", Integer.toString(ep)));
            flags.add(new Flag("--expert-tensor-parallel-size", Integer.toString(etp)));
        }
        batch(d, dp, flags, diagnostics);
        training(s, flags, diagnostics);
        ModelFlags.megatron(d, flags, diagnostics);
        precision(d, flags, diagnostics);
        Optional<String> torchrun = torchrun(d, diagnostics);
        if (diagnostics.errorReports() > errors || torchrun.isEmpty()) return Optional.empty();
        for (Flag f : flags) {
            if (!MegatronFlags.known(f.name())) throw new IllegalStateException("not a Megatron-LM flag: " + f.name());
        }
        StringBuilder b = new StringBuilder();
        b.append("#!/usr/bin/env bash\n");
        b.append("# ").append(d.name()).append(": model ").append(model.name()).append(" on cluster ").append(d.cluster().name()).append(" (")
                .append(world).append(" ").append(d.cluster().gpu().name()).append(") with strategy ").append(s.name()).append(" for workload ")
                .append(w.name()).append(".\n");
        b.append("# Written by `pdagc --emit launch --for megatron`: Megatron-LM pretrain_gpt.py arguments as of core_v0.15.0\n");
        b.append("# (megatron/training/arguments.py). Run this on every node with NODE_RANK and MASTER_ADDR set; give the run's\n");
        b.append("# own flags after it (data: --data-path or --mock-data; --train-iters, --lr, --save, --load...).\n");
        b.append(torchrun.get()).append(" \\\n  pretrain_gpt.py");
        for (Flag f : flags) b.append(" \\\n  ").append(f.name()).append(f.value() == null ? "" : " " + f.value());
        b.append(" \\\n  \"$@\"\n");
        return Optional.of(b.toString());
    }

    /** torchrun's world layout: whole nodes of the cluster's GPUs per node. */
    private static Optional<String> torchrun(Deployment d, Diagnostics diagnostics) {
        int count = d.cluster().count();
        int perNode = Math.min(d.cluster().perNode(), count);
        if (count % perNode != 0) {
            diagnostics.add(Diags.launchCannotExpress(d.cluster().span(), "torchrun", count + " GPUs on nodes of " + perNode,
                    "the last node holds " + count % perNode + " GPUs", "torchrun starts the same number of processes on every node: use whole nodes"));
            return Optional.empty();
        }
        return Optional.of("torchrun --nnodes " + count / perNode + " --nproc-per-node " + perNode
                + " --node-rank \"${NODE_RANK:-0}\" --master-addr \"${MASTER_ADDR:-localhost}\" --master-port \"${MASTER_PORT:-6000}\"");
    }

    /** Pipeline stages: 1F1B or the interleaved schedule, and stages other than balanced where Megatron can say them. */
    private static void pipeline(Deployment d, List<Flag> flags, Diagnostics diagnostics) {
        StrategySpec s = d.strategy();
        Pipeline p = s.pipeline();
        long layers = d.model().layers();
        int chunks = p.chunks();
        if (p.schedule() == Pipeline.Schedule.GPIPE && p.microBatches() > 1) {
            diagnostics.add(Diags.launchCannotExpress(s.spanOf("schedule"), TARGET, "the GPipe schedule",
                    "GPipe runs every micro-batch's forward before any backward",
                    "Megatron-LM runs 1F1B (interleaved with virtual stages): write `schedule 1f1b`"));
            return;
        }
        if (p.virtualStages() > 1) {
            if (layers % chunks != 0 || s.stageLayers() != null && s.stageLayers().stream().distinct().count() > 1) {
                diagnostics.add(Diags.launchCannotExpress(s.spanOf(s.stageLayers() != null ? "stage_layers" : "virtual_stages"), TARGET,
                        "virtual stages of unequal layers", layers + " layers over " + chunks + " chunks",
                        "--num-layers-per-virtual-pipeline-stage gives every chunk the same layers: pick virtual_stages dividing layers / pp"));
                return;
            }
            flags.add(new Flag("--num-layers-per-virtual-pipeline-stage", Long.toString(layers / chunks)));
            return;
        }
        List<Long> sizes = new ArrayList<>();
        for (int c = 0; c < chunks; c++) {
            sizes.add(s.stageLayers() != null ? s.stageLayers().get(c) : layers / chunks + (c < layers % chunks ? 1 : 0));
        }
        if (sizes.stream().distinct().count() <= 1) return;
        // Megatron's uneven split: the first and last stage given, the rest equal.
        List<Long> middle = sizes.subList(Math.min(1, sizes.size()), Math.max(1, sizes.size() - 1));
        if (chunks >= 3 && middle.stream().distinct().count() == 1 || chunks == 2) {
            long rest = chunks == 2 ? -1 : middle.get(0);
            if (chunks == 2 || sizes.get(0) != rest) flags.add(new Flag("--decoder-first-pipeline-num-layers", Long.toString(sizes.get(0))));
            if (chunks == 2 || sizes.get(chunks - 1) != rest) flags.add(new Flag("--decoder-last-pipeline-num-layers", Long.toString(sizes.get(chunks - 1))));
            return;
        }
        diagnostics.add(Diags.launchCannotExpress(s.spanOf(s.stageLayers() != null ? "stage_layers" : "pp"), TARGET, "uneven pipeline stages",
                "stages of " + sizes.stream().map(String::valueOf).reduce((a, b2) -> a + ", " + b2).orElse("") + " layers",
                "Megatron-LM splits layers evenly but for the first and last stage (--decoder-first/last-pipeline-num-layers):"
                        + " give the middle stages equal layers"));
    }

    /** Micro-batch size and global batch: the global batch is micro-batch size x data-parallel ranks x micro-batches. */
    private static void batch(Deployment d, int dp, List<Flag> flags, Diagnostics diagnostics) {
        long global = d.workload().batch();
        long micro = d.strategy().pipeline().microBatches();
        if (global % (dp * micro) != 0) {
            diagnostics.add(Diags.launchCannotExpress(d.workload().spanOf("batch"), TARGET, "a batch of " + global + " sequences",
                    "not " + dp + " data-parallel ranks x " + micro + " micro-batches x a whole micro-batch size",
                    "Megatron-LM's global batch is --micro-batch-size x data-parallel size x micro-batches"));
            return;
        }
        flags.add(new Flag("--micro-batch-size", Long.toString(global / (dp * micro))));
        flags.add(new Flag("--global-batch-size", Long.toString(global)));
    }

    /**
     * Recomputation and ZeRO: selective is Megatron's default selective recomputation (the attention
     * core), full is each layer from its input ({@code uniform}, one layer a group); ZeRO 1 is the
     * distributed optimizer (which keeps whole gradient buffers); ZeRO 2 and 3 are Megatron-FSDP's
     * {@code optim_grads} and {@code optim_grads_params} sharding strategies.
     */
    private static void training(StrategySpec s, List<Flag> flags, Diagnostics diagnostics) {
        Training t = s.training();
        switch (t.recompute()) {
            case NONE -> { }
            case SELECTIVE -> flags.add(new Flag("--recompute-granularity", "selective"));
            case FULL -> {
                flags.add(new Flag("--recompute-granularity", "full"));
                flags.add(new Flag("--recompute-method", "uniform"));
                flags.add(new Flag("--recompute-num-layers", "1"));
            }
        }
        if (t.zero() == 1) flags.add(new Flag("--use-distributed-optimizer", null));
        if (t.overlapGradReduce()) flags.add(new Flag("--overlap-grad-reduce", null));
        if (t.zero() >= 2) {
            // Megatron-FSDP: its data-parallel sharding strategies are ZeRO's stages (optim = 1, optim_grads = 2,
            // optim_grads_params = 3); it saves checkpoints only as fsdp_dtensor.
            flags.add(new Flag("--use-megatron-fsdp", null));
            flags.add(new Flag("--data-parallel-sharding-strategy", t.zero() == 2 ? "optim_grads" : "optim_grads_params"));
            flags.add(new Flag("--ckpt-format", "fsdp_dtensor"));
        }
    }

    private static void precision(Deployment d, List<Flag> flags, Diagnostics diagnostics) {
        WorkloadSpec w = d.workload();
        DType t = w.dtype();
        if (t != w.expertDtype()) {
            diagnostics.add(Diags.launchCannotExpress(w.spanOf("dtype"), TARGET, "experts in another precision than the model",
                    "experts in " + w.expertDtype().keyword(), "Megatron-LM trains the whole model in one precision"));
            return;
        }
        switch (t) {
            case BF16 -> flags.add(new Flag("--bf16", null));
            case FP16 -> flags.add(new Flag("--fp16", null));
            case FP32 -> { }
            case FP8 -> diagnostics.add(Diags.launchCannotExpress(w.spanOf("dtype"), TARGET, "an fp8 training step",
                    "pdagc costs fp8 weights and matmuls", "Megatron-LM's fp8 (--fp8-format) keeps bf16 master weights and scales per tensor: train in bf16"));
        }
    }

    static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }
}
