package pdagc.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.ToIntFunction;
import pdagc.dag.DagNode;
import pdagc.dag.GpuInfo;
import pdagc.dag.PlanDag;
import pdagc.dag.Schedules;

/**
 * Chooses, checks and selects the view of a plan that a drawing shows, under a budget.
 *
 * <p>The budget bounds what the layout engine's time follows, nodes and edges: a view fits a
 * budget of N when its drawing lays out at most N nodes and at most {@value #EDGES_PER_NODE} x N
 * edges, counting what {@link DotBackend} draws (the plan's nodes, the stubs that stand for
 * edges from outside the view, the hubs of collectives, and every edge among them). Views over N
 * of the plan's nodes are refused from their counts alone, before anything is selected.
 *
 * <p>The deployment view ({@link DeploymentView}) draws as much as the budget allows, down to one
 * GPU of one cluster node; it is refused only when that is over the budget.
 *
 * <p>The default choice, first that fits the budget: {@code deployment}; {@code whole};
 * {@code roles}; {@code roles:layer:L} for the plan's first MoE layer L in an MoE model, else its
 * first layer; {@code gpu:G} for the first role's GPU.
 * If none fits, the choice is refused with the smallest view named. An explicitly requested view
 * over the budget is refused with the views that do fit, each kind by its largest instance. Every
 * answer carries one line for the user, such as
 * {@code view: roles (1 role x 64 GPUs, 344 of 22016 nodes; layout 392 nodes, 849 edges)}.
 */
public final class Views {
    /** The default budget: about where Graphviz {@code dot} stops answering in seconds. */
    public static final int DEFAULT_BUDGET = 2000;
    /** A view's edges may be this many times the budget. */
    public static final int EDGES_PER_NODE = 3;

    private Views() {}

    /** The view named by {@code spec} ({@value View#SYNTAX}), or empty. */
    public static Optional<View> parse(String spec) {
        return View.parse(spec);
    }

    /** The first view of the default order that fits {@code budget}, or a refusal. */
    public static ViewResult choose(PlanDag plan, int budget) {
        Roles roles = Roles.of(plan);
        ViewSizes sizes = ViewSizes.of(plan, roles);
        Optional<DeploymentView> deployment = DeploymentView.fit(plan, new View.Deployment(), budget);
        if (deployment.isPresent() && fits(deployment.get().layout(), budget)) return shown(plan, roles, sizes, deployment.get(), "");
        for (View candidate : defaultOrder(plan, roles, sizes)) {
            int n = sizes.size(candidate);
            if (n <= budget && (n > 0 || candidate instanceof View.Whole)) {
                Selection selection = select(plan, roles, candidate);
                DotBackend.Layout layout = DotBackend.layout(plan, selection);
                if (!fits(layout, budget)) continue;
                String why = candidate instanceof View.Whole ? "; the deployment view is over the budget of " + budget
                        : "; the deployment view and the whole plan are over the budget of " + budget;
                return shown(plan, roles, sizes, selection, layout, why);
            }
        }
        return new ViewResult.Refused("no view of this plan fits the budget of " + budget + " nodes and " + EDGES_PER_NODE * (long) budget
                + " edges; the smallest is " + smallest(plan, roles, sizes, budget) + ": raise the budget or emit json instead");
    }

    /** The view named by {@code spec}, if it parses, exists in the plan and fits {@code budget}. */
    public static ViewResult request(PlanDag plan, String spec, int budget) {
        Optional<View> view = View.parse(spec);
        if (view.isEmpty()) {
            return new ViewResult.Refused("unknown view '" + spec + "': expected " + View.SYNTAX);
        }
        return request(plan, view.get(), budget);
    }

    /** {@code view}, if it exists in the plan and fits {@code budget}. */
    public static ViewResult request(PlanDag plan, View view, int budget) {
        Roles roles = Roles.of(plan);
        ViewSizes sizes = ViewSizes.of(plan, roles);
        if (view instanceof View.Deployment d) {
            Optional<DeploymentView> drawn = DeploymentView.fit(plan, d, budget);
            if (drawn.isEmpty()) return new ViewResult.Refused("view " + view.spec() + " is empty: " + inventory(plan, sizes));
            DotBackend.Layout layout = drawn.get().layout();
            if (!fits(layout, budget)) {
                return new ViewResult.Refused("view " + view.spec() + " lays out at least " + layout.nodes() + " nodes and " + layout.edges()
                        + " edges (one GPU), over the budget of " + budget + " nodes and " + EDGES_PER_NODE * (long) budget + " edges; "
                        + fitting(plan, roles, sizes, budget));
            }
            return shown(plan, roles, sizes, drawn.get(), "");
        }
        int n = sizes.size(view);
        if (n == 0 && !(view instanceof View.Whole)) {
            return new ViewResult.Refused("view " + view.spec() + " is empty: " + inventory(plan, sizes));
        }
        if (n > budget) {
            return new ViewResult.Refused("view " + view.spec() + " has " + n + " nodes, over the budget of " + budget
                    + "; " + fitting(plan, roles, sizes, budget));
        }
        Selection selection = select(plan, roles, view);
        DotBackend.Layout layout = DotBackend.layout(plan, selection);
        if (!fits(layout, budget)) {
            return new ViewResult.Refused("view " + view.spec() + " lays out " + layout.nodes() + " nodes and " + layout.edges()
                    + " edges, over the budget of " + budget + " nodes and " + EDGES_PER_NODE * (long) budget + " edges; "
                    + fitting(plan, roles, sizes, budget));
        }
        return shown(plan, roles, sizes, selection, layout, "");
    }

    /** Whether a drawing that lays out {@code layout} fits {@code budget}. */
    static boolean fits(DotBackend.Layout layout, int budget) {
        return layout.nodes() <= budget && layout.edges() <= EDGES_PER_NODE * (long) budget;
    }

    /** The nodes {@code view} draws, grouped in lanes; no budget is applied. */
    public static Selection select(PlanDag plan, View view) {
        if (view instanceof View.Deployment d) {
            return DeploymentView.fit(plan, d, Integer.MAX_VALUE).map(DeploymentView::selection).orElseGet(() -> new Selection(view, List.of()));
        }
        return select(plan, Roles.of(plan), view);
    }

    /** The deployment view, drawn as far as {@code budget} allows (the smallest one when nothing fits); empty when it draws nothing. */
    public static Optional<Selection> deployment(PlanDag plan, View.Deployment view, int budget) {
        return DeploymentView.fit(plan, view, budget).map(DeploymentView::selection);
    }

    private static List<View> defaultOrder(PlanDag plan, Roles roles, ViewSizes sizes) {
        List<View> order = new ArrayList<>(List.of(new View.Whole(), new View.Roles()));
        if (!sizes.rolesPerLayer.isEmpty()) order.add(new View.RolesLayer(defaultLayer(plan, sizes)));
        if (!roles.all().isEmpty()) order.add(new View.Gpu(roles.all().get(0).gpus().get(0)));
        return order;
    }

    /**
     * The layer a layer view shows by default: the first MoE layer (one with a router or an expert
     * linear) of an MoE model, whose first layers may be dense (DeepSeek-V3's {@code first_dense});
     * else the first layer.
     */
    static int defaultLayer(PlanDag plan, ViewSizes sizes) {
        DeploymentFacts facts = DeploymentFacts.of(plan);
        TreeSet<Integer> moe = new TreeSet<>();
        for (DeploymentFacts.Stage s : facts.stages) moe.addAll(s.moe);
        for (int layer : moe) if (sizes.rolesPerLayer.containsKey(layer)) return layer;
        return sizes.rolesPerLayer.firstKey();
    }

    private static ViewResult shown(PlanDag plan, Roles roles, ViewSizes sizes, DeploymentView d, String why) {
        DotBackend.Layout layout = d.layout();
        Selection s = d.selection();
        List<Integer> nodes = d.clusterNodes();
        String scope = d.gpus().size() == d.gpuCount() ? d.gpuCount() + (d.gpuCount() == 1 ? " GPU" : " GPUs")
                : d.gpus().size() + " of " + d.gpuCount() + " GPUs";
        String where = (nodes.size() == 1 ? "node " : "nodes ") + DeploymentView.range(nodes) + " of " + d.clusterNodeCount();
        String of = s.size() == sizes.total ? s.size() + " nodes" : s.size() + " of " + sizes.total + " nodes";
        return new ViewResult.Shown(s, layout, "view: " + s.view().spec() + " (" + scope + " on " + where + ", " + (d.drawnLayers().size() == 1 ? "layer " : "layers ") + GpuRanges.format(d.drawnLayers()) + ", " + of
                + "; layout " + layout.nodes() + " nodes, " + layout.edges() + " edges" + why + ")");
    }

    private static ViewResult shown(PlanDag plan, Roles roles, ViewSizes sizes, Selection selection, DotBackend.Layout layout, String why) {
        return new ViewResult.Shown(selection, layout, describe(plan, roles, sizes, selection) + "; layout " + layout.nodes() + " nodes, "
                + layout.edges() + " edges" + why + ")");
    }

    /** {@code view: roles (1 role x 64 GPUs, 412 of 26368 nodes}, without the closing parenthesis. */
    private static String describe(PlanDag plan, Roles roles, ViewSizes sizes, Selection s) {
        String of = s.size() == sizes.total ? s.size() + " nodes" : s.size() + " of " + sizes.total + " nodes";
        String scope;
        View v = s.view();
        if (v instanceof View.Roles || v instanceof View.RolesLayer) {
            int k = roles.all().size();
            scope = k == 1 ? "1 role x " + roles.gpuCount() + " GPUs" : k + " roles for " + roles.gpuCount() + " GPUs";
        } else if (v instanceof View.Gpu) {
            scope = "1 GPU";
        } else {
            scope = s.lanes().size() + (s.lanes().size() == 1 ? " GPU" : " GPUs");
        }
        return "view: " + v.spec() + " (" + scope + ", " + of;
    }

    /** The kinds of view that fit, each by its largest instance: {@code roles (344 nodes, 849 edges), layer:N (largest layer:0: ...)}. */
    private static String fitting(PlanDag plan, Roles roles, ViewSizes sizes, int budget) {
        List<String> fit = new ArrayList<>();
        Optional<DeploymentView> deployment = DeploymentView.fit(plan, new View.Deployment(), budget);
        if (deployment.isPresent() && fits(deployment.get().layout(), budget)) {
            DotBackend.Layout layout = deployment.get().layout();
            fit.add("deployment (" + layout.nodes() + " nodes, " + layout.edges() + " edges)");
        }
        for (Candidate c : candidates(sizes)) {
            if (c.nodes > budget) continue;
            DotBackend.Layout layout = DotBackend.layout(plan, select(plan, roles, c.instance));
            if (!fits(layout, budget)) continue;
            String counts = layout.nodes() + " nodes, " + layout.edges() + " edges";
            fit.add(c.kind.equals(c.instance.spec()) ? c.kind + " (" + counts + ")" : c.kind + " (largest " + c.instance.spec() + ": " + counts + ")");
        }
        if (fit.isEmpty()) return "no view fits; the smallest is " + smallest(plan, roles, sizes, budget) + ": raise the budget";
        return "views that fit: " + String.join(", ", fit);
    }

    /**
     * The kind of view with the fewest nodes, by its largest instance, with what its drawing lays
     * out when that is cheap to count (up to ten times the budget), else its nodes.
     */
    private static String smallest(PlanDag plan, Roles roles, ViewSizes sizes, int budget) {
        Candidate best = null;
        for (Candidate c : candidates(sizes)) if (best == null || c.nodes < best.nodes) best = c;
        boolean instance = !best.kind.equals(best.instance.spec());
        if (best.nodes > 10L * budget) return best.kind + " (" + (instance ? "up to " : "") + best.nodes + " nodes)";
        DotBackend.Layout layout = DotBackend.layout(plan, select(plan, roles, best.instance));
        String counts = layout.nodes() + " nodes, " + layout.edges() + " edges";
        return best.kind + " (" + (instance ? "largest " + best.instance.spec() + ": " : "") + counts + ")";
    }

    /** A kind of view ({@code whole}, {@code layer:N}), its instance with the most nodes, and their number. */
    private record Candidate(String kind, View instance, int nodes) {}

    /** Every kind of view the plan has, by its largest instance. */
    private static List<Candidate> candidates(ViewSizes sizes) {
        List<Candidate> all = new ArrayList<>();
        all.add(new Candidate("whole", new View.Whole(), sizes.total));
        all.add(new Candidate("roles", new View.Roles(), sizes.roles));
        int layer = ViewSizes.largestKey(sizes.rolesPerLayer);
        if (layer >= 0) all.add(new Candidate("roles:layer:N", new View.RolesLayer(layer), sizes.rolesPerLayer.get(layer)));
        int gpu = sizes.largestGpuId();
        if (gpu >= 0 && sizes.perGpu[gpu] > 0) all.add(new Candidate("gpu:N", new View.Gpu(gpu), sizes.perGpu[gpu]));
        layer = ViewSizes.largestKey(sizes.perLayer);
        if (layer >= 0) all.add(new Candidate("layer:N", new View.Layer(layer), sizes.perLayer.get(layer)));
        return all;
    }

    private static String inventory(PlanDag plan, ViewSizes sizes) {
        List<Integer> gpus = new ArrayList<>();
        for (int g = 0; g < sizes.perGpu.length; g++) if (sizes.perGpu[g] > 0) gpus.add(g);
        List<Integer> layers = sizes.layers();
        String layerText = layers.isEmpty() ? "no layers" : "layers " + GpuRanges.format(layers);
        return "the plan has " + (gpus.isEmpty() ? "no GPUs" : GpuRanges.gpus(gpus)) + " and " + layerText;
    }

    private static Selection select(PlanDag plan, Roles roles, View view) {
        if (view instanceof View.Deployment) return select(plan, view);
        if (view instanceof View.Whole) return byGpu(plan, view, allGpus(plan), ANY, n -> n.gpu());
        if (view instanceof View.Gpu g) return byGpu(plan, view, List.of(g.gpu()), ANY, n -> n.gpu() == g.gpu() ? n.gpu() : -1);
        if (view instanceof View.Layer l) return byGpu(plan, view, allGpus(plan), l.layer(), n -> n.layer() == l.layer() ? n.gpu() : -1);
        if (view instanceof View.Roles) return byRole(plan, roles, view, ANY, n -> roles.lane(n.gpu()));
        if (view instanceof View.RolesLayer l) {
            return byRole(plan, roles, view, l.layer(), n -> n.layer() == l.layer() ? roles.lane(n.gpu()) : -1);
        }
        throw new AssertionError(view);
    }

    /** No filter on the layer. */
    private static final int ANY = Integer.MIN_VALUE;

    private static List<Integer> allGpus(PlanDag plan) {
        return plan.gpus().stream().map(GpuInfo::id).toList();
    }

    /**
     * The nodes of {@code gpus} (all of them for a plan without a closed form) that {@code lane}
     * puts in a lane, by lane. With a closed form only those GPUs' nodes in {@code layer} are built.
     */
    private static TreeMap<Integer, List<DagNode>> group(PlanDag plan, List<Integer> gpus, int layer, ToIntFunction<DagNode> lane) {
        TreeMap<Integer, List<DagNode>> lanes = new TreeMap<>();
        if (!(plan instanceof PlanDag.ClosedForm closed)) {
            for (DagNode n : plan.nodes()) {
                int key = lane.applyAsInt(n);
                if (key >= 0) lanes.computeIfAbsent(key, k -> new ArrayList<>()).add(n);
            }
            return lanes;
        }
        Schedules s = closed.schedules();
        for (int gpu : gpus) {
            if (gpu < 0 || gpu >= s.ranks()) continue;
            int st = s.stageOf(gpu);
            long first = s.firstNode(gpu);
            for (int k = 0; k < s.length(st); k++) {
                if (layer != ANY && s.op(st, k).layer() != layer) continue;
                DagNode n = plan.nodes().get((int) (first + k));
                int key = lane.applyAsInt(n);
                if (key >= 0) lanes.computeIfAbsent(key, x -> new ArrayList<>()).add(n);
            }
        }
        return lanes;
    }

    private static Selection byGpu(PlanDag plan, View view, List<Integer> gpus, int layer, ToIntFunction<DagNode> lane) {
        List<Selection.Lane> lanes = new ArrayList<>();
        group(plan, gpus, layer, lane).forEach((gpu, nodes) -> lanes.add(new Selection.Lane("cluster_gpu" + gpu, gpuTitle(plan, gpu), nodes)));
        return new Selection(view, lanes);
    }

    private static Selection byRole(PlanDag plan, Roles roles, View view, int layer, ToIntFunction<DagNode> lane) {
        List<Selection.Lane> lanes = new ArrayList<>();
        List<Integer> representatives = roles.all().stream().map(r -> r.gpus().get(0)).toList();
        group(plan, representatives, layer, lane).forEach((k, nodes) -> {
            PlanDag.Role role = roles.all().get(k);
            String title = "role " + role.id() + ": " + GpuRanges.gpus(role.gpus()) + " (x" + role.multiplicity() + ")";
            lanes.add(new Selection.Lane("cluster_role" + role.id(), title, nodes));
        });
        return new Selection(view, lanes);
    }

    /** {@code GPU 5 (ep 1, tp 1) on node 0}. */
    static String gpuTitle(PlanDag plan, int gpu) {
        GpuInfo info = gpuInfo(plan, gpu);
        if (info == null) return "GPU " + gpu;
        List<String> coords = new ArrayList<>();
        for (int i = 0; i < plan.mesh().axes().size() && i < info.coords().size(); i++) {
            coords.add(plan.mesh().axes().get(i).name() + " " + info.coords().get(i));
        }
        return "GPU " + gpu + " (" + String.join(", ", coords) + ") on node " + info.node();
    }

    private static GpuInfo gpuInfo(PlanDag plan, int gpu) {
        List<GpuInfo> gpus = plan.gpus();
        if (gpu < gpus.size() && gpus.get(gpu).id() == gpu) return gpus.get(gpu);
        for (GpuInfo g : gpus) if (g.id() == gpu) return g;
        return null;
    }
}
