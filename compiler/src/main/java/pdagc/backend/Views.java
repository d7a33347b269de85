package pdagc.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.ToIntFunction;
import pdagc.dag.DagNode;
import pdagc.dag.GpuInfo;
import pdagc.dag.PlanDag;
import pdagc.dag.Schedules;

/**
 * Chooses, checks and selects the view of a plan that a drawing shows, under a budget of nodes.
 *
 * <p>The default choice, first that fits the budget: {@code whole}; {@code roles};
 * {@code roles:layer:L} for the plan's first layer L; {@code gpu:G} for the first role's GPU.
 * If none fits, the choice is refused with the smallest view named. An explicitly requested view
 * over the budget is refused with the views that do fit. Every answer carries one line for the
 * user, such as {@code view: roles (1 role x 64 GPUs, 412 of 26368 nodes)}.
 */
public final class Views {
    /** The default budget: about where Graphviz {@code dot} stops answering in seconds. */
    public static final int DEFAULT_BUDGET = 2000;

    private Views() {}

    /** The view named by {@code spec} ({@value View#SYNTAX}), or empty. */
    public static Optional<View> parse(String spec) {
        return View.parse(spec);
    }

    /** The first view of the default order that fits {@code budget}, or a refusal. */
    public static ViewResult choose(PlanDag plan, int budget) {
        Roles roles = Roles.of(plan);
        ViewSizes sizes = ViewSizes.of(plan, roles);
        for (View candidate : defaultOrder(plan, roles, sizes)) {
            int n = sizes.size(candidate);
            if (n <= budget && (n > 0 || candidate instanceof View.Whole)) {
                String why = candidate instanceof View.Whole ? "" : "; the whole plan is over the budget of " + budget;
                return shown(plan, roles, sizes, candidate, why);
            }
        }
        return new ViewResult.Refused("no view of this plan fits the budget of " + budget + " nodes; the smallest is "
                + smallest(sizes) + ": raise the budget or emit json instead");
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
        int n = sizes.size(view);
        if (n == 0 && !(view instanceof View.Whole)) {
            return new ViewResult.Refused("view " + view.spec() + " is empty: " + inventory(plan, sizes));
        }
        if (n > budget) {
            return new ViewResult.Refused("view " + view.spec() + " has " + n + " nodes, over the budget of " + budget
                    + "; " + fitting(sizes, budget));
        }
        return shown(plan, roles, sizes, view, "");
    }

    /** The nodes {@code view} draws, grouped in lanes; no budget is applied. */
    public static Selection select(PlanDag plan, View view) {
        return select(plan, Roles.of(plan), view);
    }

    private static List<View> defaultOrder(PlanDag plan, Roles roles, ViewSizes sizes) {
        List<View> order = new ArrayList<>(List.of(new View.Whole(), new View.Roles()));
        if (!sizes.rolesPerLayer.isEmpty()) order.add(new View.RolesLayer(sizes.rolesPerLayer.firstKey()));
        if (!roles.all().isEmpty()) order.add(new View.Gpu(roles.all().get(0).gpus().get(0)));
        return order;
    }

    private static ViewResult shown(PlanDag plan, Roles roles, ViewSizes sizes, View view, String why) {
        Selection selection = select(plan, roles, view);
        return new ViewResult.Shown(selection, describe(plan, roles, sizes, selection) + why + ")");
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

    private static String fitting(ViewSizes sizes, int budget) {
        List<String> fit = new ArrayList<>();
        for (String[] c : candidates(sizes)) if (Integer.parseInt(c[1]) <= budget) fit.add(c[0] + " (" + c[2] + ")");
        if (fit.isEmpty()) return "no view fits; the smallest is " + smallest(sizes) + ": raise the budget";
        return "views that fit: " + String.join(", ", fit);
    }

    private static String smallest(ViewSizes sizes) {
        String[] best = null;
        for (String[] c : candidates(sizes)) {
            if (best == null || Integer.parseInt(c[1]) < Integer.parseInt(best[1])) best = c;
        }
        return best[0] + " (" + best[2] + ")";
    }

    /** Every kind of view with its size: {spec, nodes, "412 nodes" or "up to 412 nodes"}. */
    private static List<String[]> candidates(ViewSizes sizes) {
        List<String[]> all = new ArrayList<>();
        all.add(new String[] {"whole", Integer.toString(sizes.total), sizes.total + " nodes"});
        all.add(new String[] {"roles", Integer.toString(sizes.roles), sizes.roles + " nodes"});
        addLargest(all, "roles:layer:N", ViewSizes.largest(sizes.rolesPerLayer));
        addLargest(all, "gpu:N", sizes.largestGpu());
        addLargest(all, "layer:N", ViewSizes.largest(sizes.perLayer));
        return all;
    }

    private static void addLargest(List<String[]> all, String spec, int n) {
        if (n > 0) all.add(new String[] {spec, Integer.toString(n), "up to " + n + " nodes"});
    }

    private static String inventory(PlanDag plan, ViewSizes sizes) {
        List<Integer> gpus = new ArrayList<>();
        for (int g = 0; g < sizes.perGpu.length; g++) if (sizes.perGpu[g] > 0) gpus.add(g);
        List<Integer> layers = sizes.layers();
        String layerText = layers.isEmpty() ? "no layers" : "layers " + GpuRanges.format(layers);
        return "the plan has " + (gpus.isEmpty() ? "no GPUs" : GpuRanges.gpus(gpus)) + " and " + layerText;
    }

    private static Selection select(PlanDag plan, Roles roles, View view) {
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
