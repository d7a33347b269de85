package pdagc.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import pdagc.driver.Compiler;
import pdagc.driver.MaterializedPlan;
import pdagc.ir.CollectiveKind;
import pdagc.ir.Op;
import pdagc.source.SourceFile;
import pdagc.spmd.SpmdNode;

/**
 * The plan of a GPT training step as Megatron-LM runs it: the residual stream split along the
 * sequence under sequence parallelism (an all-gather and a reduce-scatter around attention and
 * around the MLP, no more), activations sent between stages in blocks of the sequence and
 * all-gathered on the receiving stage (scatter/gather), and attention as kernels of its own under
 * {@code kernels unfused_attention}. Each plan is proven by verify.
 */
class MegatronTrainingPlanTest {

    static String source(int layers, String mesh, boolean sp, String kernels) {
        return """
                import std.hardware
                import std.blocks
                model G {
                  vocab 512  hidden 256  heads 4  layers %d  ffn 1024  positions 64
                  norm layernorm  act gelu  dropout 0.1
                  embed gpt2_embedding  layer gpt2_layer  head gpt2_head
                }
                cluster C { gpu A100  count %d  per_node 2 }
                workload W { batch 4  seq 64  phase train  dtype fp16  optimizer adam  kernels %s }
                strategy S {
                  mesh [%s]
                  sequence_parallel %s
                  micro_batches 2
                  recompute full
                }
                deploy D = G on C with S for W
                """.formatted(layers, mesh.contains("pp") ? 4 : 2, kernels, mesh, sp);
    }

    static MaterializedPlan compile(String src) {
        Compiler c = new Compiler(Set.of());
        List<MaterializedPlan> plans = c.check(SourceFile.of("megatron.pdag", null, src));
        assertFalse(c.diagnostics().hasErrors(), c.diagnostics().sorted().toString());
        return plans.get(0);
    }

    static void proven(MaterializedPlan p) {
        var r = p.verify(1);
        assertTrue(r.ok(), r.toString());
    }

    /** The collectives of {@code kind} on activations (not the weight gradients' reductions) of a layer, in the forward or backward pass. */
    static long count(MaterializedPlan p, CollectiveKind kind, int layer, boolean backward) {
        boolean[] bwd = p.spmd().backward();
        return p.spmd().nodes().stream()
                .filter(n -> n.op() instanceof Op.Collective c && c.collective() == kind && n.layer() == layer && bwd[n.id()] == backward
                        && n.shape().rank() == 3).count();
    }

    @Test
    void sequenceParallelismKeepsTheResidualStreamSplit() {
        MaterializedPlan p = compile(source(2, "tp 2", true, "fused"));
        // Forward: the layer norms' outputs gathered for the column-parallel linears, the row-parallel outputs reduce-scattered.
        assertEquals(2, count(p, CollectiveKind.ALL_GATHER, 1, false));
        assertEquals(2, count(p, CollectiveKind.REDUCE_SCATTER, 1, false));
        assertEquals(0, count(p, CollectiveKind.ALL_REDUCE, 1, false));
        // The embedding's partial sum is reduce-scattered, not all-reduced.
        SpmdNode embed = p.spmd().nodes().stream().filter(n -> n.name().startsWith("embed.tok.") && n.op() instanceof Op.Collective).findFirst()
                .orElseThrow();
        assertEquals(CollectiveKind.REDUCE_SCATTER, ((Op.Collective) embed.op()).collective(), embed.name());
        proven(p);
    }

    @Test
    void stagesSendBlocksOfTheSequenceAndGatherThem() {
        MaterializedPlan p = compile(source(4, "pp 2, tp 2", false, "fused"));
        List<SpmdNode> nodes = p.spmd().nodes();
        int sends = 0;
        for (SpmdNode n : nodes) {
            if (!(n.op() instanceof Op.Transfer t) || !t.send() || n.shape().rank() != 3) continue;
            sends++;
            assertEquals(n.shape().elements() / 2, n.local().elements(), n.name() + " sends half the activation from each of 2 tp ranks");
            SpmdNode recv = nodes.stream().filter(m -> m.inputs().equals(List.of(n.id()))).findFirst().orElseThrow();
            SpmdNode gather = nodes.stream().filter(m -> m.inputs().equals(List.of(recv.id()))).findFirst().orElseThrow();
            assertTrue(gather.op() instanceof Op.Collective c && c.collective() == CollectiveKind.ALL_GATHER, gather.name());
        }
        assertTrue(sends >= 2, "a forward and a backward send");
        proven(p);
    }

    @Test
    void unfusedAttentionTimesTheSoftmaxAndTheProbabilitiesDropout() {
        MaterializedPlan fused = compile(source(2, "tp 2", false, "fused"));
        MaterializedPlan megatron = compile(source(2, "tp 2", false, "unfused_attention"));
        MaterializedPlan unfused = compile(source(2, "tp 2", false, "unfused"));
        double f = fused.analysis().step().seconds(), m = megatron.analysis().step().seconds(), u = unfused.analysis().step().seconds();
        assertTrue(f < m && m < u, f + " < " + m + " < " + u);
        var costs = megatron.analysis().nodes();
        var idx = megatron.dag();
        var gpu = megatron.deployment().cluster().gpu();
        boolean softmax = false, probsDropout = false, gelu = false, biasDropoutAdd = false;
        for (int i = 0; i < idx.nodes().size(); i++) {
            var node = idx.nodes().get(i);
            SpmdNode op = megatron.spmd().nodes().get(node.program());
            if (node.gpu() != 0 || megatron.spmd().backward()[op.id()]) continue;
            double t = costs.seconds(i);
            if (op.op() instanceof Op.Softmax) {
                softmax = true;
                assertTrue(t > 0, "softmax is a kernel");
            } else if (op.op() instanceof Op.Dropout && megatron.spmd().nodes().get(op.inputs().get(0)).op() instanceof Op.Softmax) {
                probsDropout = true;
                assertTrue(t > 0, "the probabilities' dropout is a kernel");
            } else if (op.op() instanceof Op.Unary) {
                // Megatron's bias-GeLU kernel (bias_gelu_impl): reads the product's output, writes the activation; the bias's
                // sum that only the gradient reads is not written (the backward kernel adds the bias again).
                gelu = true;
                assertEquals(kernel(2.0 * 2 * node.output().elements(), gpu), t, 1e-15, "the bias-GeLU kernel");
            } else if (op.op() instanceof Op.Binary && op.inputs().stream().anyMatch(x -> megatron.spmd().nodes().get(x).op() instanceof Op.Dropout)) {
                // bias_dropout_add_fused_train: reads the branch's output and the residual, writes the sum; under full recomputation
                // the forward pass's dropout mask is not read by the backward pass (the recomputed one is), so it is not written.
                biasDropoutAdd = true;
                assertEquals(kernel(3.0 * 2 * node.output().elements(), gpu), t, 1e-15, "the bias-dropout-add kernel");
            } else if (op.op() instanceof Op.Bias && megatron.spmd().nodes().get(op.inputs().get(0)).op() instanceof Op.Linear
                    && megatron.spmd().nodes().stream().anyMatch(c -> c.inputs().contains(op.id()) && (c.op() instanceof Op.AttnScores || c.op() instanceof Op.AttnContext))) {
                // The query's, key's and value's bias, added after the product (`output = output + bias`): a kernel reading and writing it.
                assertEquals(kernel(2.0 * 2 * node.output().elements(), gpu), t, 1e-15, "the query-key-value bias add");
            } else if (op.layer() >= 0 && (op.op() instanceof Op.Bias || op.op() instanceof Op.Dropout || op.op() instanceof Op.DropoutMask)) {
                assertEquals(0, t, op.name() + " is in its group's kernel");
            }
        }
        assertTrue(softmax && probsDropout && gelu && biasDropoutAdd);
    }

    /** A memory-bound kernel moving {@code bytes}, with its overhead (and at least the host's launch: no CUDA graphs in training). */
    static double kernel(double bytes, pdagc.sem.GpuSpec gpu) {
        return Math.max(bytes / (gpu.hbmBandwidth() * gpu.bandwidthEfficiency()) + gpu.kernelOverhead(), gpu.launchOverhead());
    }
}
