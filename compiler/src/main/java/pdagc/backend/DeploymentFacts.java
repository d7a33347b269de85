package pdagc.backend;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import pdagc.dag.DagNode;
import pdagc.dag.GpuInfo;
import pdagc.dag.PlanDag;
import pdagc.dag.Schedules;
import pdagc.ir.Op;
import pdagc.mesh.Mesh;
import pdagc.mesh.MeshAxes;
import pdagc.spmd.SpmdNode;

/**
 * What the deployment view needs to know about a plan besides its nodes: which cluster node holds
 * each GPU, each GPU's role and pipeline stage, which experts it holds, and per stage the layers it
 * runs (micro-batch 0), what each layer's ops are (to tell which layers are alike) and which are
 * MoE layers. Read from one GPU per stage, so the cost follows the program, not the GPUs.
 */
final class DeploymentFacts {
    final PlanDag plan;
    final Mesh mesh;
    final int gpus;
    /** Per GPU: its cluster node. */
    final int[] nodeOf;
    /** Per cluster node: its GPUs, ascending. */
    final List<List<Integer>> gpusOfNode = new ArrayList<>();
    /** Per GPU: its role (GPUs of one role run one program). */
    final int[] roleOf;
    /** Per GPU: its pipeline stage. */
    final int[] stageOf;
    final int stageCount;
    final List<Stage> stages = new ArrayList<>();
    /** Micro-batches the plan runs; the view draws micro-batch 0. */
    final int microBatches;

    /**
     * One pipeline stage as one of its GPUs runs it (micro-batch 0): its layers in order, each
     * layer's ops (op, name within the layer, local output shape: alike layers have equal lists),
     * its MoE layers, and the ops outside the layers before the first and after the last.
     */
    static final class Stage {
        final int representative;
        final List<Integer> layers = new ArrayList<>();
        final Map<Integer, List<String>> ops = new LinkedHashMap<>();
        final TreeSet<Integer> moe = new TreeSet<>();
        int before;
        int after;
        /** The first expert linear's position (closed form) or node, for the GPU's experts; -1 when none. */
        int expertOp = -1;

        Stage(int representative) {
            this.representative = representative;
        }
    }

    private DeploymentFacts(PlanDag plan) {
        this.plan = plan;
        this.mesh = plan.mesh();
        List<GpuInfo> infos = plan.gpus();
        this.gpus = infos.size();
        nodeOf = new int[gpus];
        roleOf = new int[gpus];
        stageOf = new int[gpus];
        Arrays.fill(roleOf, -1);
        int nodes = 0;
        for (int g = 0; g < gpus; g++) {
            nodeOf[g] = infos.get(g).node();
            nodes = Math.max(nodes, nodeOf[g] + 1);
        }
        for (int n = 0; n < nodes; n++) gpusOfNode.add(new ArrayList<>());
        for (int g = 0; g < gpus; g++) gpusOfNode.get(nodeOf[g]).add(g);
        int roles = 0;
        for (PlanDag.Role r : plan.roles()) {
            for (int g : r.gpus()) if (g < gpus) roleOf[g] = roles;
            roles++;
        }
        for (int g = 0; g < gpus; g++) if (roleOf[g] < 0) roleOf[g] = roles++;
        if (plan instanceof PlanDag.ClosedForm closed) {
            Schedules s = closed.schedules();
            stageCount = s.stages();
            for (int g = 0; g < gpus; g++) stageOf[g] = s.stageOf(g);
            int mb = 1;
            // In a training step, a stage's layers are those its forward pass runs: the backward pass
            // may sum a gradient of the previous stage's last layer here before sending it back.
            boolean[] backward = s.program().backward();
            for (int st = 0; st < stageCount; st++) {
                Stage stage = new Stage(s.rankOfStage(st, 0));
                java.util.Set<Integer> forwardLayers = new java.util.HashSet<>();
                for (int k = 0; k < s.length(st); k++) {
                    SpmdNode op = s.op(st, k);
                    if (!backward[op.id()] && !s.perStep(op.id()) && !(op.op() instanceof Op.Transfer)) forwardLayers.add(op.layer());
                }
                List<Integer> layerOf = new ArrayList<>();
                for (int k = 0; k < s.length(st); k++) {
                    mb = Math.max(mb, s.microBatch(st, k) + 1);
                    if (s.microBatch(st, k) != 0) continue;
                    SpmdNode op = s.op(st, k);
                    layerOf.add(op.layer());
                    if (op.layer() >= 0 && forwardLayers.contains(op.layer())) addOp(stage, op.layer(), op.op(), op.name(), op.local().toString());
                    if (op.op() instanceof Op.ExpertLinear && stage.expertOp < 0) stage.expertOp = k;
                }
                outside(stage, layerOf);
                stages.add(stage);
            }
            microBatches = mb;
        } else {
            stageCount = mesh.size(MeshAxes.PP);
            for (int g = 0; g < gpus; g++) stageOf[g] = mesh.coord(g, MeshAxes.PP);
            int[] representative = new int[stageCount];
            Arrays.fill(representative, -1);
            for (int g = gpus - 1; g >= 0; g--) representative[stageOf[g]] = g;
            List<List<Integer>> layerOf = new ArrayList<>();
            for (int st = 0; st < stageCount; st++) {
                stages.add(new Stage(representative[st]));
                layerOf.add(new ArrayList<>());
            }
            int mb = 1;
            for (DagNode n : plan.nodes()) {
                mb = Math.max(mb, n.microBatch() + 1);
                if (n.gpu() >= gpus || n.microBatch() != 0) continue;
                int st = stageOf[n.gpu()];
                Stage stage = stages.get(st);
                if (n.gpu() != stage.representative) continue;
                layerOf.get(st).add(n.layer());
                if (n.layer() >= 0) addOp(stage, n.layer(), n.op(), n.name(), n.output().toString());
                if (n.op() instanceof Op.ExpertLinear && stage.expertOp < 0) stage.expertOp = n.index();
            }
            for (int st = 0; st < stageCount; st++) outside(stages.get(st), layerOf.get(st));
            microBatches = mb;
        }
    }

    static DeploymentFacts of(PlanDag plan) {
        DeploymentFacts facts = new DeploymentFacts(plan);
        for (Stage s : facts.stages) s.layers.sort(null);
        return facts;
    }

    private static void addOp(Stage stage, int layer, Op op, String name, String shape) {
        // A pipeline transfer belongs to the stage boundary, not to the layer whose output it carries.
        if (op instanceof Op.Transfer) return;
        List<String> ops = stage.ops.get(layer);
        if (ops == null) {
            ops = new ArrayList<>();
            stage.ops.put(layer, ops);
            stage.layers.add(layer);
        }
        ops.add(op.name() + " " + withinLayer(name, layer) + " " + shape);
        if (op instanceof Op.ExpertLinear || op instanceof Op.Router) stage.moe.add(layer);
    }

    /** Counts the ops outside the layers before the first layer op and after the last. */
    private static void outside(Stage stage, List<Integer> layerOf) {
        int first = -1;
        int last = -1;
        for (int i = 0; i < layerOf.size(); i++) {
            if (layerOf.get(i) < 0) continue;
            if (first < 0) first = i;
            last = i;
        }
        for (int i = 0; i < layerOf.size(); i++) {
            if (layerOf.get(i) >= 0) continue;
            if (first < 0 || i < first) stage.before++;
            else if (i > last) stage.after++;
        }
    }

    /** {@code layers.3.moe.up} in layer 3 as {@code moe.up}: the name within its layer. */
    static String withinLayer(String name, int layer) {
        String prefix = "layers." + layer + ".";
        if (layer >= 0 && name.startsWith(prefix) && name.length() > prefix.length()) return name.substring(prefix.length());
        return name;
    }

    /** Whether any layer of the plan has experts (a router or an expert linear). */
    boolean moeModel() {
        for (Stage s : stages) if (!s.moe.isEmpty()) return true;
        return false;
    }

    /** Every layer of the plan, ascending. */
    TreeSet<Integer> layers() {
        TreeSet<Integer> all = new TreeSet<>();
        for (Stage s : stages) all.addAll(s.layers);
        return all;
    }

    /**
     * The layer drawn on each stage's GPUs, -1 where a stage has none: {@code requested} where the
     * stage runs it; without a request, the stage's first MoE layer in an MoE model, else its first.
     */
    int[] drawnLayers(int requested) {
        int[] drawn = new int[stageCount];
        boolean moe = moeModel();
        for (int st = 0; st < stageCount; st++) {
            Stage s = stages.get(st);
            if (requested >= 0) drawn[st] = s.ops.containsKey(requested) ? requested : -1;
            else if (moe && !s.moe.isEmpty()) drawn[st] = s.moe.first();
            else drawn[st] = s.layers.isEmpty() ? -1 : s.layers.get(0);
        }
        return drawn;
    }

    /** The layers of {@code stage} whose ops are those of {@code layer}, {@code layer} itself left out. */
    List<Integer> alike(int stage, int layer) {
        Stage s = stages.get(stage);
        List<String> ops = s.ops.get(layer);
        List<Integer> out = new ArrayList<>();
        for (int l : s.layers) if (l != layer && s.ops.get(l).equals(ops)) out.add(l);
        return out;
    }

    /**
     * The experts {@code gpu} holds, as {@code {first, count, total}}, or null when its stage has no
     * expert linear. The experts split over the axes that split the expert linear's first dimension,
     * in the mesh's order; a GPU's index over them times its local count is its first expert.
     */
    long[] experts(int gpu) {
        Stage s = stages.get(stageOf[gpu]);
        if (s.expertOp < 0) return null;
        if (plan instanceof PlanDag.ClosedForm closed) {
            SpmdNode op = closed.schedules().op(stageOf[gpu], s.expertOp);
            long total = ((Op.ExpertLinear) op.op()).experts();
            long local = op.local().dim(0);
            List<String> axes = op.sharding().axes(0);
            return new long[] {(long) mesh.indexIn(gpu, axes) * local, local, total};
        }
        DagNode n = plan.nodes().get(s.expertOp);
        long total = ((Op.ExpertLinear) n.op()).experts();
        long local = n.output().dim(0);
        long index = local >= total ? 0 : mesh.coord(gpu, MeshAxes.EP);
        return new long[] {index * local, local, total};
    }

    /** {@code experts 6-7}, {@code expert 5}, {@code experts 0-7 (all)}; null without experts. */
    String expertsText(int gpu) {
        long[] e = experts(gpu);
        if (e == null) return null;
        if (e[1] >= e[2]) return "experts 0-" + (e[2] - 1) + " (all)";
        return e[1] == 1 ? "expert " + e[0] : "experts " + e[0] + "-" + (e[0] + e[1] - 1);
    }

    /**
     * The strategy's axes larger than 1, in the mesh's order, each with the mesh's factor axes it
     * is made of: a folded mesh splits {@code tp 4} into {@code tp.0 2} and {@code tp.1 2}, which
     * a GPU's label shows as its one {@code tp} coordinate.
     */
    Map<String, List<String>> axes() {
        Map<String, List<String>> axes = new LinkedHashMap<>();
        for (Mesh.Axis a : mesh.axes()) {
            if (a.size() <= 1) continue;
            int dot = a.name().indexOf('.');
            axes.computeIfAbsent(dot < 0 ? a.name() : a.name().substring(0, dot), k -> new ArrayList<>()).add(a.name());
        }
        return axes;
    }

    /** {@code gpu}'s coordinate on the strategy axis made of {@code factors}. */
    int coord(int gpu, List<String> factors) {
        return mesh.indexIn(gpu, factors);
    }

    /** {@code ep 3, tp 1}: the GPU's coordinates on the strategy's axes larger than 1; empty on a one-GPU mesh. */
    String coords(int gpu) {
        List<String> parts = new ArrayList<>();
        for (var a : axes().entrySet()) parts.add(a.getKey() + " " + coord(gpu, a.getValue()));
        return String.join(", ", parts);
    }

    /** {@code stage 1: layers 16-31}. */
    String stageText(int stage) {
        List<Integer> layers = stages.get(stage).layers;
        return "stage " + stage + (layers.isEmpty() ? "" : ": " + (layers.size() == 1 ? "layer " : "layers ") + GpuRanges.format(layers));
    }
}
