package pdagc.partition;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import pdagc.diag.Diagnostic;
import pdagc.diag.Diags;
import pdagc.diag.Diagnostics;
import pdagc.ir.Graph;
import pdagc.ir.Node;
import pdagc.ir.Op;
import pdagc.ir.Shape;
import pdagc.mesh.MeshContext;
import pdagc.mesh.Pipeline;
import pdagc.mesh.Sharding;
import pdagc.spmd.SpmdNode;
import pdagc.spmd.SpmdProgram;

/**
 * insert-collectives: builds the SPMD program from the logical IR and the propagated shardings,
 * inserting the steps of {@link Reshard} on every edge where the producer's sharding differs from
 * the consumer's requirement, and a send/recv pair wherever a value crosses pipeline chunks
 * (before any resharding, which runs on the consumer's chunk). A value resharded or transferred
 * the same way for two consumers is handled once.
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

    public static Optional<SpmdProgram> run(Graph graph, ShardingPropagation.Result shardings, MeshContext mesh, Pipeline pipeline,
            int[] chunkOf, Diagnostics diagnostics) {
        List<SpmdNode> out = new ArrayList<>();
        int[] map = new int[graph.size()];
        Map<String, Integer> reshardCache = new HashMap<>();
        Set<String> names = new HashSet<>();
        boolean[] bucketed = new boolean[graph.size()];
        int errors = diagnostics.errorReports();
        for (Node n : graph.nodes()) {
            if (!oneSplitPerAxis(n, shardings, mesh, diagnostics)) return Optional.empty();
            List<Integer> inputs = new ArrayList<>();
            List<Boolean> routing = new ArrayList<>();
            int chunk = chunkOf[n.id()];
            for (int i = 0; i < n.inputs().size(); i++) {
                int producer = n.inputs().get(i);
                Sharding need = shardings.required().get(n.id()).get(i);
                int source = map[producer];
                if (out.get(source).chunk() != chunk) {
                    source = transfer(out, source, chunk, graph.node(producer), mesh, reshardCache, names);
                }
                if (!out.get(source).sharding().equals(need)) {
                    source = reshard(out, source, need, graph.node(producer), n, chunk, bucketed[producer], mesh, reshardCache, names, diagnostics);
                    if (source < 0) return Optional.empty();
                }
                inputs.add(source);
                routing.add(i == 1 && (n.op() instanceof Op.Dispatch || n.op() instanceof Op.Combine));
            }
            Sharding s = shardings.output().get(n.id());
            bucketed[n.id()] = isBucketed(graph, n, bucketed);
            divisible(n.shape(), s, n, bucketed[n.id()], mesh, diagnostics);
            map[n.id()] = add(out, names, n.name(), n.op(), inputs, routing, n.shape(), s, mesh, n.layer(), n, chunk);
        }
        return diagnostics.errorReports() > errors ? Optional.empty() : Optional.of(new SpmdProgram(mesh.mesh(), graph.dtype(), pipeline, out));
    }

    /**
     * A mesh axis splits at most one dimension of a value, and is not also an axis it is a partial
     * sum over: annotations whose axes share GPUs ({@code @experts(ep) @column(tp)} where the
     * expert mesh folds tp into ep) would otherwise give each rank a block that no layout holds.
     */
    private static boolean oneSplitPerAxis(Node n, ShardingPropagation.Result shardings, MeshContext mesh, Diagnostics diagnostics) {
        List<Sharding> all = new ArrayList<>(shardings.required().get(n.id()));
        all.add(shardings.output().get(n.id()));
        for (Sharding s : all) {
            Set<String> seen = new HashSet<>();
            List<String> axes = new ArrayList<>(s.splitAxes());
            axes.addAll(s.partial());
            for (String a : axes) {
                if (seen.add(a)) continue;
                Diagnostic.Builder d = Diags.splitTwice(n.span(), n.name(), a, n.parallel());
                for (pdagc.ir.Parallel p : n.parallel()) d.secondary(p.span(), p.toString());
                diagnostics.add(d);
                return false;
            }
        }
        return true;
    }

    /** A send on the producer's chunk and a recv on the consumer's: the value as it is, between pp stages. */
    private static int transfer(List<SpmdNode> out, int source, int chunk, Node producer, MeshContext mesh, Map<String, Integer> cache,
            Set<String> names) {
        String key = source + "=>" + chunk;
        Integer cached = cache.get(key);
        if (cached != null) return cached;
        SpmdNode from = out.get(source);
        int send = add(out, names, producer.name() + ".send", new Op.Transfer(true, from.chunk(), chunk), List.of(source), List.of(false),
                from.shape(), from.sharding(), mesh, producer.layer(), producer, from.chunk());
        int recv = add(out, names, producer.name() + ".recv", new Op.Transfer(false, from.chunk(), chunk), List.of(send), List.of(false),
                from.shape(), from.sharding(), mesh, producer.layer(), producer, chunk);
        cache.put(key, recv);
        return recv;
    }

    private static int reshard(List<SpmdNode> out, int source, Sharding need, Node producer, Node consumer, int chunk, boolean bucketed,
            MeshContext mesh, Map<String, Integer> cache, Set<String> names, Diagnostics diagnostics) {
        String key = source + "->" + need;
        Integer cached = cache.get(key);
        if (cached != null) return cached;
        List<Reshard.Step> steps;
        try {
            steps = Reshard.plan(out.get(source).sharding(), need, mesh);
        } catch (Reshard.UnsupportedReshard e) {
            diagnostics.add(Diags.reshardingNotSupported(consumer.span(), e.getMessage(), producer.span()));
            return -1;
        }
        int cur = source;
        for (Reshard.Step step : steps) {
            if (!divisible(producer.shape(), step.after(), consumer, bucketed, mesh, diagnostics)) return -1;
            cur = add(out, names, producer.name() + "." + step.op().name(), step.op(), List.of(cur), List.of(false),
                    producer.shape(), step.after(), mesh, producer.layer(), producer, chunk);
        }
        cache.put(key, cur);
        return cur;
    }

    private static int add(List<SpmdNode> out, Set<String> names, String base, Op op, List<Integer> inputs, List<Boolean> routing,
            Shape shape, Sharding s, MeshContext mesh, int layer, Node origin, int chunk) {
        String name = base;
        for (int k = 2; !names.add(name); k++) name = base + "#" + k;
        int id = out.size();
        out.add(new SpmdNode(id, name, op, List.copyOf(inputs), List.copyOf(routing), shape, s, s.local(shape, mesh.mesh()), layer,
                origin.span(), origin.id(), chunk));
        return id;
    }

    /**
     * Tokens bucketed by expert (dispatch's output and what the experts make of it): their
     * capacity dimension is the balanced expectation of a data-dependent count, so a rank's share
     * is rounded up instead of required to divide.
     */
    private static boolean isBucketed(Graph graph, Node n, boolean[] bucketed) {
        if (n.op() instanceof Op.Dispatch) return true;
        if (n.op() instanceof Op.ExpertLinear || n.op() instanceof Op.Unary || n.op() instanceof Op.Binary) {
            return !n.inputs().isEmpty() && bucketed[n.inputs().get(0)];
        }
        return false;
    }

    private static boolean divisible(Shape shape, Sharding s, Node at, boolean bucketed, MeshContext mesh, Diagnostics diagnostics) {
        int d = s.indivisibleDim(shape, mesh.mesh());
        if (bucketed && d == 1) {
            Sharding rest = s.withDim(1, List.of());
            d = rest.indivisibleDim(shape, mesh.mesh());
        }
        if (d < 0) return true;
        List<String> axes = s.axes(d);
        diagnostics.add(Diags.tensorNotSplitEvenly(at.span(), at.name(), axes, mesh.mesh().size(axes), d, shape));
        return false;
    }
}
