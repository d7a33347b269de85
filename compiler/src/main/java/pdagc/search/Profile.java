package pdagc.search;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import pdagc.analysis.Analysis;
import pdagc.analysis.NodeCosts;
import pdagc.dag.DagNode;
import pdagc.ir.Shape;
import pdagc.diag.Diagnostic;
import pdagc.driver.Compiler;
import pdagc.driver.MaterializedPlan;
import pdagc.mesh.Mesh;
import pdagc.mesh.Pipeline;
import pdagc.sem.ClusterSpec;
import pdagc.sem.Deployment;
import pdagc.sem.ModelSpec;
import pdagc.sem.SearchSpec;
import pdagc.sem.StrategySpec;
import pdagc.sem.Training;
import pdagc.sem.WorkloadSpec;
import pdagc.spmd.SpmdNode;
import pdagc.spmd.WeightLayout;

/**
 * The per-GPU program of one pipeline stage's layers, compiled once for every candidate that runs
 * it: the model cut to its first dense layers and one layer more, on the GPUs of one stage (the
 * candidate's mesh without pp, and without dp for a dense model, whose data-parallel ranks only
 * add the gradients' reduction), one micro-batch of the candidate's size, the candidate's sequence
 * parallelism and recomputation, its collectives on the links they take in the candidate. The
 * real pipeline compiles it (lower, partition, materialize, validate, analyze); the figures below
 * are read off its nodes (GPU 0), so what a layer costs is what the compiler would charge it.
 *
 * @param layerSeconds one layer's seconds per micro-batch (forward; in training with its backward and recomputation)
 * @param layerStepSeconds one layer's seconds once per step, without collectives (the optimizer's)
 * @param baseSeconds the embedding's and head's (and loss's) seconds per micro-batch
 * @param baseStepSeconds their per-step seconds, without collectives
 * @param stepCollectiveSeconds the per-step collectives' seconds (the gradients' reduction where the profile holds dp)
 * @param layerWeightBytes one layer's weights on a GPU
 * @param baseWeightBytes the embedding's and head's weights on a GPU
 * @param layerStoredBytes the activations one layer stores for the backward pass, per micro-batch (training)
 * @param activationBytes the profile's peak of activations (one layer, one micro-batch)
 * @param workspaceBytes the largest collective buffer
 * @param kvBytes the profile's KV cache (one layer, the micro-batch's sequences, at the profile's context)
 * @param layerCommSeconds the collectives' part of {@code layerSeconds}
 * @param layerWeights the local shapes of one layer's weights, one per optimizer step (what the gradients' reduction moves)
 * @param baseWeights the same for the embedding and head
 * @param layerExpertWeights the experts' among {@code layerWeights} (sharded by ZeRO over the experts' data-parallel ranks)
 * @param layerRereads the weights among {@code layerWeights} that the backward pass reads again (its
 *     gradients' rules or recomputation: under ZeRO-3 gathered a second time per micro-batch), {@code Graph.weightRead}
 * @param layerExpertRereads the experts' among {@code layerRereads}
 * @param baseRereads the same for the embedding and head
 * @param layerStepOps one layer's per-step computations as (seconds, overhead) pairs, the experts' optimizer steps left out
 * @param layerExpertStepOps the experts' optimizer steps, as (seconds, overhead) pairs
 * @param baseStepOps the embedding's and head's
 * @param layerKept the share of a layer's weight elements its optimizer steps update on GPU 0 (below 1 where the profile runs ZeRO)
 * @param baseKept the same for the embedding and head
 * @param layerStepCollectiveSeconds the layer's share of {@code stepCollectiveSeconds}
 * @param embedSeconds the embedding's share of {@code baseSeconds} (the first stage's; the rest is the last stage's)
 * @param embedWeightBytes the embedding's share of {@code baseWeightBytes}
 * @param problem null, or the first error that compiling it gave (the candidates that run it are rejected with it)
 */
record Profile(double layerSeconds, double layerStepSeconds, double baseSeconds, double baseStepSeconds, double stepCollectiveSeconds,
        long layerWeightBytes, long baseWeightBytes, long layerStoredBytes, long activationBytes, long workspaceBytes, long kvBytes,
        double layerCommSeconds, List<Shape> layerWeights, List<Shape> layerExpertWeights, List<Shape> baseWeights, List<Shape> layerRereads,
        List<Shape> layerExpertRereads, List<Shape> baseRereads, double[] layerStepOps,
        double[] layerExpertStepOps, double[] baseStepOps, double layerKept, double baseKept, double layerStepCollectiveSeconds, double embedSeconds, long embedWeightBytes, String problem) {

    static Profile failed(String problem) {
        return new Profile(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), new double[0], new double[0], new double[0], 1, 1, 0, 0, 0,
                problem);
    }

    /**
     * The per-step computations' seconds with the optimizer step on ZeRO's shards, which keep
     * {@code kept} of the elements: each op's overhead stays, the rest scales by {@code kept}.
     * {@code ops} holds (seconds, overhead) pairs.
     */
    static double sharded(double[] ops, double kept) {
        double t = 0;
        for (int i = 0; i < ops.length; i += 2) t += ops[i + 1] + (ops[i] - ops[i + 1]) * kept;
        return t;
    }

    /**
     * What decides a profile: the stage mesh (axes in order), the expert mesh (or null), the node
     * size that puts its groups on the candidate's links, sequence parallelism, the micro-batch's sequences, recomputation, and
     * the step (phase, sequence, context).
     */
    record Key(Mesh stageMesh, Mesh experts, int perNode, boolean sp, int microBatch, Training.Recompute recompute, int zero, WorkloadSpec step) {}

    /** Compiles the profile of {@code key} for the search's model and cluster. */
    static Profile compile(SearchSpec s, Key key) {
        ModelSpec m = s.model();
        long first = m.isMoe() ? m.firstDense() : 0;
        long layers = first + 1;
        Map<String, Long> params = new HashMap<>(m.params());
        params.put("layers", layers);
        ModelSpec cut = new ModelSpec(m.name(), params, m.norm(), m.act(), m.embed(), m.layer(), m.denseLayer(), m.head(), m.spans(), m.span(),
                m.mtpLayer(), m.dropout());
        ClusterSpec c = s.cluster();
        int gpus = key.stageMesh().size();
        ClusterSpec cluster = new ClusterSpec(c.name(), c.gpu(), gpus, key.perNode(), c.networkBandwidth(), c.nvlinkLatency(), c.networkLatency(),
                c.spans(), c.span());
        StrategySpec strategy = new StrategySpec("Profile", key.stageMesh(), key.experts(), key.sp(), Pipeline.NONE, null, Map.of(), Map.of(), s.span(),
                s.span(), new Training(key.zero(), key.recompute()));
        Deployment d = new Deployment("Profile", cut, cluster, strategy, key.step(), List.of(), s.program(), s.span());
        Compiler compiler = new Compiler(java.util.Set.of());
        Optional<MaterializedPlan> plan;
        try {
            plan = compiler.compile(d);
        } catch (RuntimeException e) {
            return failed("compiling the per-GPU program of a layer failed: " + e);
        }
        if (plan.isEmpty()) {
            String why = "does not compile";
            for (Diagnostic g : compiler.diagnostics().all()) {
                if (g.severity() == pdagc.diag.Severity.ERROR) {
                    why = g.code().id() + " " + g.message();
                    break;
                }
            }
            return failed(why);
        }
        return of(plan.get(), first, key.zero());
    }

    private static Profile of(MaterializedPlan p, long layer, int zero) {
        Analysis a = p.analysis();
        NodeCosts costs = a.nodes();
        boolean[] perStep = p.spmd().perStep();
        double layerMb = 0, layerStep = 0, baseMb = 0, baseStep = 0, stepColl = 0, layerStepColl = 0, layerComm = 0;
        List<Double> layerOps = new ArrayList<>(), expertOps = new ArrayList<>(), baseOps = new ArrayList<>();
        double embedMb = 0;
        long embedWeights = 0;
        List<DagNode> nodes = p.dag().nodes();
        for (DagNode n : nodes) {
            if (n.gpu() != 0) continue;
            double sec = costs.seconds(n.index());
            boolean coll = costs.isCollective(n.index());
            boolean step = perStep[n.program()];
            boolean inLayer = n.layer() == layer;
            if (step && coll) {
                stepColl += sec;
                if (inLayer) layerStepColl += sec;
            }
            else if (step) {
                List<Double> ops = !inLayer ? baseOps : expert(p.spmd().nodes().get(n.program()).op()) ? expertOps : layerOps;
                ops.add(sec);
                ops.add(costs.overhead(n.index()));
                if (inLayer) layerStep += sec;
                else baseStep += sec;
            } else if (inLayer) {
                layerMb += sec;
                if (coll) layerComm += sec;
            } else if (n.layer() < 0 || n.layer() > layer) {
                baseMb += sec;
                if (embedSide(p.spmd(), p.spmd().nodes().get(n.program()), 2)) embedMb += sec;
            } else {
                baseMb += sec; // the first dense layers of an MoE model ride with the embedding
            }
        }
        long layerWeights = 0, baseWeights = 0;
        Map<Integer, Long> local = new HashMap<>();
        java.util.Set<Integer> own = new java.util.HashSet<>();
        for (SpmdNode op : p.spmd().nodes()) {
            if (op.op().weight() == null) continue;
            if (!own.add(op.origin())) continue;
            long elements = WeightLayout.localElements(op, p.spmd(), p.spmd().mesh());
            local.put(op.origin(), elements);
            long bytes = elements * p.spmd().dtype().bytes();
            if (op.layer() == layer) layerWeights += bytes;
            else baseWeights += bytes;
            if (op.layer() != layer && embedSide(p.spmd(), op, 0)) embedWeights += bytes;
        }
        List<Shape> layerShapes = new ArrayList<>(), expertShapes = new ArrayList<>(), baseShapes = new ArrayList<>();
        List<Shape> layerRereads = new ArrayList<>(), expertRereads = new ArrayList<>(), baseRereads = new ArrayList<>();
        pdagc.ir.Graph g = p.graph();
        java.util.Set<Integer> reread = new java.util.HashSet<>();
        if (g.backwardStart() >= 0) {
            for (int i = g.backwardStart(); i < g.size(); i++) {
                int owner = g.weightRead(g.node(i));
                if (owner >= 0) reread.add(owner);
            }
        }
        // Under ZeRO (the profiles of a model with experts, which hold the data-parallel ranks) an
        // optimizer step runs on a shard: the weight's own local elements stand for its shape.
        double layerShard = 0, layerWhole = 0, baseShard = 0, baseWhole = 0;
        for (SpmdNode op : p.spmd().nodes()) {
            if (!(op.op() instanceof pdagc.ir.Op.Update u)) continue;
            boolean again = reread.contains(u.forwardNode());
            Long whole = local.get(u.forwardNode());
            Shape w = zero == 0 || whole == null ? op.local() : new Shape(whole);
            boolean inLayer = op.layer() == layer;
            (inLayer ? layerShapes : baseShapes).add(w);
            if (again) (inLayer ? layerRereads : baseRereads).add(w);
            if (inLayer && expert(op.op())) {
                expertShapes.add(w);
                if (again) expertRereads.add(w);
            }
            if (inLayer) {
                layerShard += op.local().elements();
                layerWhole += w.elements();
            } else {
                baseShard += op.local().elements();
                baseWhole += w.elements();
            }
        }
        long stored = 0;
        if (a.training() != null) {
            for (var l : a.training().stored()) if (l.layer() == layer) stored += l.bytes();
        }
        var mem = a.gpus().get(0).memory();
        return new Profile(layerMb, layerStep, baseMb, baseStep, stepColl, layerWeights, baseWeights, stored, mem.activationBytes(),
                mem.workspaceBytes(), mem.kvCacheBytes(), layerComm, List.copyOf(layerShapes), List.copyOf(expertShapes), List.copyOf(baseShapes),
                List.copyOf(layerRereads), List.copyOf(expertRereads), List.copyOf(baseRereads), unbox(layerOps),
                unbox(expertOps), unbox(baseOps), layerWhole == 0 ? 1 : layerShard / layerWhole, baseWhole == 0 ? 1 : baseShard / baseWhole, layerStepColl,
                embedMb, embedWeights, null);
    }

    /**
     * Whether an op outside the layers belongs to the embedding (the first pipeline stage's): the
     * embedding itself, its gradient, or a collective or transfer of what those make (looked
     * through {@code depth} such hops); everything else outside the layers is the head's.
     */
    private static boolean embedSide(pdagc.spmd.SpmdProgram program, SpmdNode op, int depth) {
        pdagc.ir.Op o = op.op();
        if (o instanceof pdagc.ir.Op.Embed || o instanceof pdagc.ir.Op.PosEmbed) return true;
        if (o instanceof pdagc.ir.Op.Grad g) return g.forward() instanceof pdagc.ir.Op.Embed || g.forward() instanceof pdagc.ir.Op.PosEmbed;
        if ((o instanceof pdagc.ir.Op.Collective || o instanceof pdagc.ir.Op.Transfer) && depth > 0 && !op.inputs().isEmpty()) {
            return embedSide(program, program.nodes().get(op.inputs().get(0)), depth - 1);
        }
        return false;
    }

    /** Whether an op is an expert weight's optimizer step. */
    private static boolean expert(pdagc.ir.Op op) {
        return op instanceof pdagc.ir.Op.Update u && u.forward() instanceof pdagc.ir.Op.ExpertLinear;
    }

    private static double[] unbox(List<Double> xs) {
        double[] out = new double[xs.size()];
        for (int i = 0; i < out.length; i++) out[i] = xs.get(i);
        return out;
    }

    /** Profiles by key, each compiled once (concurrently for different keys). */
    static final class Cache {
        private final SearchSpec spec;
        private final java.util.concurrent.ConcurrentHashMap<Key, java.util.concurrent.CompletableFuture<Profile>> byKey = new java.util.concurrent.ConcurrentHashMap<>();
        private final java.util.concurrent.atomic.AtomicInteger compiled = new java.util.concurrent.atomic.AtomicInteger();
        private final java.util.concurrent.atomic.AtomicLong nanos = new java.util.concurrent.atomic.AtomicLong();

        Cache(SearchSpec spec) {
            this.spec = spec;
        }

        Profile get(Key key) {
            java.util.concurrent.CompletableFuture<Profile> mine = new java.util.concurrent.CompletableFuture<>();
            java.util.concurrent.CompletableFuture<Profile> f = byKey.putIfAbsent(key, mine);
            if (f != null) return f.join();
            long t0 = System.nanoTime();
            Profile p;
            try {
                p = compile(spec, key);
            } catch (RuntimeException e) {
                p = failed("compiling the per-GPU program of a layer failed: " + e);
            }
            nanos.addAndGet(System.nanoTime() - t0);
            compiled.incrementAndGet();
            mine.complete(p);
            return p;
        }

        boolean has(Key key) {
            return byKey.containsKey(key);
        }

        int compiled() {
            return compiled.get();
        }

        double seconds() {
            return nanos.get() / 1e9;
        }

        List<Key> keys() {
            return new ArrayList<>(byKey.keySet());
        }
    }
}
