package pdagc.partition;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import pdagc.diag.Code;
import pdagc.diag.Diagnostic;
import pdagc.diag.Diagnostics;
import pdagc.ir.Graph;
import pdagc.ir.Node;
import pdagc.ir.Op;
import pdagc.ir.Shape;
import pdagc.mesh.Sharding;

/**
 * insert-collectives: builds the SPMD program from the logical IR and the propagated shardings,
 * inserting the steps of {@link Reshard} on every edge where the producer's sharding differs from
 * the consumer's requirement. A value resharded the same way for two consumers is resharded once.
 *
 * <pre>
 *   %9 = linear @row(tp) (%8) : {ep,_,_} partial(tp)     %10 = add(%3, %9) requires {ep,_,_}
 *   ==>
 *   %9 = linear ...; %10 = all_reduce[axes=tp](%9) : {ep,_,_}; %11 = add(%3, %10)
 * </pre>
 */
public final class InsertCollectives {
    public static final String NAME = "insert-collectives";

    private InsertCollectives() {}

    public static Optional<SpmdProgram> run(Graph graph, ShardingPropagation.Result shardings, MeshContext mesh, Diagnostics diagnostics) {
        List<SpmdNode> out = new ArrayList<>();
        int[] map = new int[graph.size()];
        Map<String, Integer> reshardCache = new HashMap<>();
        Set<String> names = new HashSet<>();
        int errors = diagnostics.errorCount();
        for (Node n : graph.nodes()) {
            List<Integer> inputs = new ArrayList<>();
            List<Boolean> routing = new ArrayList<>();
            for (int i = 0; i < n.inputs().size(); i++) {
                int producer = n.inputs().get(i);
                Sharding need = shardings.required().get(n.id()).get(i);
                int source = map[producer];
                if (!out.get(source).sharding().equals(need)) {
                    source = reshard(out, source, need, graph.node(producer), n, mesh, reshardCache, names, diagnostics);
                    if (source < 0) return Optional.empty();
                }
                inputs.add(source);
                routing.add(i == 1 && (n.op() instanceof Op.Dispatch || n.op() instanceof Op.Combine));
            }
            Sharding s = shardings.output().get(n.id());
            if (!divisible(n.shape(), s, n, mesh, diagnostics)) continue;
            map[n.id()] = add(out, names, n.name(), n.op(), inputs, routing, n.shape(), s, mesh, n.layer(), n);
        }
        return diagnostics.errorCount() > errors ? Optional.empty() : Optional.of(new SpmdProgram(mesh.mesh(), graph.dtype(), out));
    }

    private static int reshard(List<SpmdNode> out, int source, Sharding need, Node producer, Node consumer, MeshContext mesh,
            Map<String, Integer> cache, Set<String> names, Diagnostics diagnostics) {
        String key = source + "->" + need;
        Integer cached = cache.get(key);
        if (cached != null) return cached;
        List<Reshard.Step> steps;
        try {
            steps = Reshard.plan(out.get(source).sharding(), need, mesh);
        } catch (Reshard.UnsupportedReshard e) {
            diagnostics.add(Diagnostic.of(Code.E0306, consumer.span(), "this resharding (" + e.getMessage() + ")")
                    .label("needed by this operation").secondary(producer.span(), "produced here"));
            return -1;
        }
        int cur = source;
        for (Reshard.Step step : steps) {
            if (!divisible(producer.shape(), step.after(), consumer, mesh, diagnostics)) return -1;
            cur = add(out, names, producer.name() + "." + step.op().name(), step.op(), List.of(cur), List.of(false),
                    producer.shape(), step.after(), mesh, producer.layer(), producer);
        }
        cache.put(key, cur);
        return cur;
    }

    private static int add(List<SpmdNode> out, Set<String> names, String base, Op op, List<Integer> inputs, List<Boolean> routing,
            Shape shape, Sharding s, MeshContext mesh, int layer, Node origin) {
        String name = base;
        for (int k = 2; !names.add(name); k++) name = base + "#" + k;
        int id = out.size();
        out.add(new SpmdNode(id, name, op, List.copyOf(inputs), List.copyOf(routing), shape, s, s.local(shape, mesh.mesh()), layer,
                origin.span(), origin.id()));
        return id;
    }

    private static boolean divisible(Shape shape, Sharding s, Node at, MeshContext mesh, Diagnostics diagnostics) {
        int d = s.indivisibleDim(shape, mesh.mesh());
        if (d < 0) return true;
        List<String> axes = s.axes(d);
        diagnostics.add(Diagnostic.of(Code.E0303, at.span(), String.join(" x ", axes), mesh.mesh().size(axes),
                        "dimension " + d + " of " + shape + " in", "`" + at.name() + "`")
                .label("this tensor cannot be split evenly")
                .help("choose axis sizes that divide " + shape.dim(d)));
        return false;
    }
}
