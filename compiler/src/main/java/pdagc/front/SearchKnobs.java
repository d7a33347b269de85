package pdagc.front;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import pdagc.ast.Expr;
import pdagc.ast.Property;
import pdagc.diag.Diags;
import pdagc.diag.Diagnostics;
import pdagc.mesh.MeshAxes;
import pdagc.mesh.Pipeline;
import pdagc.program.Names;
import pdagc.program.Program;
import pdagc.sem.ClusterSpec;
import pdagc.sem.ModelSpec;
import pdagc.sem.Requirement;
import pdagc.sem.SearchSpec;
import pdagc.sem.Training;
import pdagc.sem.WorkloadSpec;
import pdagc.source.Span;

/**
 * The knobs of a search declaration. Each knob is a value (fixed) or a list of values (the
 * choices); an absent knob is free. Mesh axes ({@code dp tp pp cp ep}), {@code batch} (absent:
 * the workload's; {@code edp} and {@code etp} are the expert mesh's), {@code micro_batch},
 * {@code virtual_stages} and {@code zero} take whole numbers; {@code sequence_parallel},
 * {@code expert_mesh} and {@code tp_in_node} take {@code true} or {@code false}; {@code schedule} and {@code recompute}
 * their strategy words; {@code objective} one of {@link SearchSpec#OBJECTIVES}; {@code top} how
 * many candidates the table shows.
 */
record SearchKnobs(Map<String, List<Integer>> axes, List<Integer> batches, List<Boolean> sp, List<Integer> microBatch, List<Pipeline.Schedule> schedules,
        List<Integer> virtualStages, List<Integer> zero, List<Training.Recompute> recompute, List<Boolean> expertMesh, boolean tpInNode, String objective,
        int top) {

    static final List<String> AXES = List.of(MeshAxes.DP, MeshAxes.TP, MeshAxes.PP, MeshAxes.CP, MeshAxes.EP, MeshAxes.EDP, MeshAxes.ETP);
    static final int DEFAULT_TOP = 10;

    /** Every knob free; the objective by the workload (chosen in {@link #spec}). */
    static SearchKnobs every() {
        return new SearchKnobs(Map.of(), null, null, null, null, null, null, null, null, false, null, DEFAULT_TOP);
    }

    SearchSpec spec(String name, ModelSpec model, ClusterSpec cluster, WorkloadSpec workload, List<Requirement> requirements, Program program,
            Span span) {
        // At a request rate the tokens per second are the rate's: the default ranks by a request's time, end to end.
        String obj = objective != null ? objective : workload.phase() == pdagc.sem.Phase.TRAIN || workload.atRate() ? "step_time" : "throughput";
        List<Long> b = batches == null ? null : batches.stream().map(Integer::longValue).toList();
        return new SearchSpec(name, model, cluster, workload, requirements, axes, b, sp, microBatch, schedules, virtualStages, zero, recompute, expertMesh,
                tpInNode, obj, top, program, span);
    }

    static Optional<SearchKnobs> read(Props p, Diagnostics diagnostics) {
        int errors = diagnostics.errorReports();
        Map<String, List<Integer>> axes = new LinkedHashMap<>();
        for (String a : AXES) {
            List<Integer> sizes = ints(p, a, 1, diagnostics);
            if (sizes != null) axes.put(a, sizes);
        }
        List<Integer> batches = ints(p, "batch", 1, diagnostics);
        List<Boolean> sp = words(p, "sequence_parallel", List.of("true", "false"), diagnostics, w -> w.equals("true"));
        List<Integer> micro = ints(p, "micro_batch", 1, diagnostics);
        List<Pipeline.Schedule> schedules = words(p, "schedule", List.of("gpipe", "1f1b", "interleaved"), diagnostics, w -> switch (w) {
            case "1f1b" -> Pipeline.Schedule.ONE_F_ONE_B;
            case "interleaved" -> Pipeline.Schedule.INTERLEAVED;
            default -> Pipeline.Schedule.GPIPE;
        });
        List<Integer> virtual = ints(p, "virtual_stages", 1, diagnostics);
        List<Integer> zero = ints(p, "zero", 0, diagnostics);
        List<Training.Recompute> recompute = words(p, "recompute", List.of("none", "selective", "full"), diagnostics,
                w -> Training.Recompute.valueOf(w.toUpperCase(Locale.ROOT)));
        List<Boolean> expertMesh = words(p, "expert_mesh", List.of("true", "false"), diagnostics, w -> w.equals("true"));
        List<Boolean> inNode = words(p, "tp_in_node", List.of("true", "false"), diagnostics, w -> w.equals("true"));
        if (inNode != null && inNode.size() != 1) {
            diagnostics.add(Diags.notAChoice(p.spanOf("tp_in_node"), "tp_in_node", List.of("true", "false"), Optional.empty()));
        }
        Optional<String> objective = p.has("objective") ? p.choice("objective", SearchSpec.OBJECTIVES, null) : Optional.empty();
        if (!p.has("objective")) p.get("objective");
        OptionalLong top = p.integer("top", (long) DEFAULT_TOP, 1);
        if (diagnostics.errorReports() > errors || top.isEmpty()) return Optional.empty();
        return Optional.of(new SearchKnobs(axes, batches, sp, micro, schedules, virtual, zero, recompute, expertMesh, inNode != null && inNode.get(0),
                objective.orElse(null), (int) Math.min(top.getAsLong(), 1_000_000)));
    }

    /** A whole number or a list of them, each at least {@code min}; null when absent or wrong (reported). */
    private static List<Integer> ints(Props p, String name, long min, Diagnostics diagnostics) {
        Optional<Property> prop = p.get(name);
        if (prop.isEmpty() || prop.get().value() == null) return null;
        List<Integer> out = new ArrayList<>();
        for (Expr item : items(prop.get().value())) {
            OptionalLong v = new IntEval(Map.of(), diagnostics).eval(item);
            if (v.isEmpty()) return null;
            if (v.getAsLong() < min) {
                diagnostics.add(Diags.valueTooSmall(item.span(), name, min, v.getAsLong()));
                return null;
            }
            if (!out.contains((int) Math.min(v.getAsLong(), 1 << 24))) out.add((int) Math.min(v.getAsLong(), 1 << 24));
        }
        return List.copyOf(out);
    }

    /** A word or a list of words among {@code options}; null when absent or wrong (reported). */
    private static <T> List<T> words(Props p, String name, List<String> options, Diagnostics diagnostics, java.util.function.Function<String, T> of) {
        Optional<Property> prop = p.get(name);
        if (prop.isEmpty() || prop.get().value() == null) return null;
        List<T> out = new ArrayList<>();
        for (Expr item : items(prop.get().value())) {
            if (item instanceof Expr.Name n && n.name().isSimple() && options.contains(n.name().text())) {
                T v = of.apply(n.name().text());
                if (!out.contains(v)) out.add(v);
                continue;
            }
            Optional<String> suggestion = item instanceof Expr.Name n ? Names.suggest(n.name().text(), options) : Optional.empty();
            diagnostics.add(Diags.notAChoice(item.span(), name, options, suggestion));
            return null;
        }
        return List.copyOf(out);
    }

    private static List<Expr> items(Expr value) {
        return value instanceof Expr.ListExpr l ? l.items() : List.of(value);
    }
}
