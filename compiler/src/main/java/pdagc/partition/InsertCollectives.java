package pdagc.partition;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import pdagc.diag.Diagnostic;
import pdagc.diag.Diags;
import pdagc.diag.Diagnostics;
import pdagc.ir.Graph;
import pdagc.ir.Node;
import pdagc.ir.Op;
import pdagc.ir.Overflow;
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
 * the same way for two consumers is handled once, except that the backward pass gathers a forward
 * value (not tokens bucketed by expert) again from the shard the forward pass kept, rather than
 * keeping the gathered copy. Last,
 * tokens bucketed by expert get their local shapes from the routed tokens each rank holds
 * ({@link Capacity}), so that the all-to-alls, gathers and scatters that move them conserve data.
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
        // The dispatch (logical id) whose buckets each node holds, or -1: per logical node, and per SPMD node.
        int[] dispatchOf = new int[graph.size()];
        List<Integer> buckets = new ArrayList<>();
        int errors = diagnostics.errorReports();
        int backwardStart = -1;
        // ZeRO-3: the shard at rest of each weight, per pipeline chunk that reads it (weight -> chunk -> SPMD node).
        Map<Integer, Map<Integer, Integer>> atRest = new HashMap<>();
        for (Node n : graph.nodes()) {
            if (n.id() == graph.backwardStart()) backwardStart = out.size();
            // Made where a use first needs it (below), on that use's chunk.
            if (n.op() instanceof Op.Param) continue;
            if (!oneSplitPerAxis(n, shardings, mesh, diagnostics)) return Optional.empty();
            List<Integer> inputs = new ArrayList<>();
            List<Boolean> routing = new ArrayList<>();
            int chunk = chunkOf[n.id()];
            for (int i = 0; i < n.inputs().size(); i++) {
                int producer = n.inputs().get(i);
                Sharding need = shardings.required().get(n.id()).get(i);
                int source = map[producer];
                if (out.get(source).chunk() != chunk) {
                    source = transfer(out, buckets, source, chunk, graph.node(producer), mesh, reshardCache, names);
                }
                if (!out.get(source).sharding().equals(need)) {
                    // The backward pass reads a forward value that was gathered for its forward op from the shard the forward
                    // pass kept, gathered again (as Megatron's sequence parallelism re-gathers a layer norm's output): a
                    // gathered copy is not kept from one pass to the other. Tokens bucketed by expert are kept as the experts
                    // received them (their all-to-all moves as much as it keeps).
                    boolean again = graph.backwardStart() >= 0 && n.id() >= graph.backwardStart() && producer < graph.backwardStart()
                            && buckets.get(source) < 0 && grows(out.get(source), need, mesh);
                    source = reshard(out, buckets, source, need, graph.node(producer), n, chunk, mesh, reshardCache, again ? "backward " : "", names,
                            diagnostics);
                    if (source < 0) return Optional.empty();
                }
                inputs.add(source);
                routing.add(i == 1 && (n.op() instanceof Op.Dispatch || n.op() instanceof Op.Combine));
            }
            int owner = graph.shardedWeights() ? graph.weightRead(n) : -1;
            if (owner >= 0) {
                // The weight, gathered from its shard at rest to the layout this use reads: once in the forward pass, and
                // again in the backward pass for its recomputation and gradients (a gathered weight is not kept between them).
                Node param = graph.node(graph.param(owner));
                int rest = atRest.computeIfAbsent(param.id(), k -> new HashMap<>()).computeIfAbsent(chunk, c -> add(out, buckets, -1, names,
                        param.name(), param.op(), List.of(), List.of(), param.shape(), shardings.output().get(param.id()), mesh, param.layer(), param, c));
                Sharding need = weightLayout(graph, shardings, n);
                int source = rest;
                if (!out.get(rest).sharding().equals(need)) {
                    String scope = graph.backwardStart() >= 0 && n.id() >= graph.backwardStart() ? "backward " : "";
                    source = reshard(out, buckets, rest, need, param, n, chunk, mesh, reshardCache, scope, names, diagnostics);
                    if (source < 0) return Optional.empty();
                }
                inputs.add(source);
                routing.add(false);
            }
            Sharding s = shardings.output().get(n.id());
            dispatchOf[n.id()] = dispatchOf(n, graph, dispatchOf);
            divisible(n.shape(), s, n, dispatchOf[n.id()] >= 0, mesh, diagnostics);
            // A recomputed forward op holds its original's value with its original's weights: it keeps the original as origin.
            Node origin = graph.node(graph.original(n.id()));
            map[n.id()] = add(out, buckets, dispatchOf[n.id()], names, n.name(), n.op(), inputs, routing, n.shape(), s, mesh, n.layer(), origin, chunk);
        }
        if (diagnostics.errorReports() > errors) return Optional.empty();
        layOutBuckets(out, buckets, graph, mesh);
        return Optional.of(new SpmdProgram(mesh.mesh(), graph.dtype(), pipeline, out, backwardStart));
    }

    /**
     * Gives every bucketed value its local shape ({@link Capacity}): a rank's share of its
     * dispatch's routed entries, whole under every sharding the buckets take, so that every
     * collective on them conserves data.
     */
    private static void layOutBuckets(List<SpmdNode> out, List<Integer> buckets, Graph graph, MeshContext mesh) {
        Map<Integer, List<Sharding>> shardings = new TreeMap<>();
        for (int i = 0; i < out.size(); i++) {
            if (buckets.get(i) >= 0) shardings.computeIfAbsent(buckets.get(i), k -> new ArrayList<>()).add(out.get(i).sharding());
        }
        Map<Integer, Long> entries = new HashMap<>();
        for (Map.Entry<Integer, List<Sharding>> e : shardings.entrySet()) {
            Node dispatch = graph.node(e.getKey());
            Shape tokens = graph.node(dispatch.inputs().get(0)).shape();
            long routed = Overflow.mul(Overflow.mul(tokens.dim(0), tokens.dim(1)), ((Op.Dispatch) dispatch.op()).top());
            entries.put(e.getKey(), Capacity.entries(routed, e.getValue(), mesh.mesh()));
        }
        for (int i = 0; i < out.size(); i++) {
            if (buckets.get(i) < 0) continue;
            SpmdNode n = out.get(i);
            Shape local = Capacity.local(n.shape(), n.sharding(), entries.get(buckets.get(i)), mesh.mesh());
            out.set(i, new SpmdNode(n.id(), n.name(), n.op(), n.inputs(), n.routing(), n.shape(), n.sharding(), local, n.layer(), n.span(),
                    n.origin(), n.chunk()));
        }
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

    /**
     * The layout in which {@code n} reads the weight it computes with (ZeRO-3 gathers it so): as
     * the weighted op it is, recomputes or differentiates lays it out ({@code WeightLayout}); for a
     * tied head, the block of the embedding table it reads.
     */
    private static Sharding weightLayout(Graph graph, ShardingPropagation.Result shardings, Node n) {
        int f = n.op() instanceof Op.Grad g ? g.forwardNode() : graph.original(n.id());
        Op op = graph.node(f).op();
        Sharding output = shardings.output().get(f);
        if (op instanceof Op.TiedHead) return pdagc.spmd.WeightLayout.tiedTable(output);
        List<Sharding> in = shardings.required().get(f);
        return pdagc.spmd.WeightLayout.of(op, in.isEmpty() ? null : in.get(0), output);
    }

    /** A send on the producer's chunk and a recv on the consumer's: the value as it is, between pp stages. */
    private static int transfer(List<SpmdNode> out, List<Integer> buckets, int source, int chunk, Node producer, MeshContext mesh,
            Map<String, Integer> cache, Set<String> names) {
        String key = source + "=>" + chunk;
        Integer cached = cache.get(key);
        if (cached != null) return cached;
        SpmdNode from = out.get(source);
        int dispatch = buckets.get(source);
        int send = add(out, buckets, dispatch, names, producer.name() + ".send", new Op.Transfer(true, from.chunk(), chunk), List.of(source),
                List.of(false), from.shape(), from.sharding(), mesh, producer.layer(), producer, from.chunk());
        int recv = add(out, buckets, dispatch, names, producer.name() + ".recv", new Op.Transfer(false, from.chunk(), chunk), List.of(send),
                List.of(false), from.shape(), from.sharding(), mesh, producer.layer(), producer, chunk);
        cache.put(key, recv);
        return recv;
    }

    /** Whether {@code need} holds more of a value on each rank than its source gives (a gather). */
    private static boolean grows(SpmdNode source, Sharding need, MeshContext mesh) {
        return need.local(source.shape(), mesh.mesh()).elements() > source.local().elements();
    }

    /** The steps from {@code source} to {@code need}, shared by the consumers of one {@code scope} that need the same. */
    private static int reshard(List<SpmdNode> out, List<Integer> buckets, int source, Sharding need, Node producer, Node consumer, int chunk,
            MeshContext mesh, Map<String, Integer> cache, String scope, Set<String> names, Diagnostics diagnostics) {
        String key = scope + source + "->" + need;
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
        int dispatch = buckets.get(source);
        for (Reshard.Step step : steps) {
            if (!divisible(producer.shape(), step.after(), consumer, dispatch >= 0, mesh, diagnostics)) return -1;
            cur = add(out, buckets, dispatch, names, producer.name() + "." + step.op().name(), step.op(), List.of(cur), List.of(false),
                    producer.shape(), step.after(), mesh, producer.layer(), producer, chunk);
        }
        cache.put(key, cur);
        return cur;
    }

    /** Adds an SPMD node; {@code dispatch} is the dispatch whose buckets it holds, or -1 (its local shape is then laid out at the end). */
    private static int add(List<SpmdNode> out, List<Integer> buckets, int dispatch, Set<String> names, String base, Op op, List<Integer> inputs,
            List<Boolean> routing, Shape shape, Sharding s, MeshContext mesh, int layer, Node origin, int chunk) {
        String name = base;
        for (int k = 2; !names.add(name); k++) name = base + "#" + k;
        int id = out.size();
        out.add(new SpmdNode(id, name, op, List.copyOf(inputs), List.copyOf(routing), shape, s, s.local(shape, mesh.mesh()), layer,
                origin.span(), origin.id(), chunk));
        buckets.add(dispatch);
        return id;
    }

    /**
     * The dispatch whose buckets {@code n} holds (its own id for a dispatch; what the experts make
     * of dispatched tokens holds the same buckets; the gradient of a bucketed value, the same
     * buckets again: a combine's gradient to its expert outputs, the experts' input gradients), or
     * -1. The capacity dimension of buckets need not divide among the ranks that split it:
     * {@link Capacity} lays out each rank's share.
     */
    private static int dispatchOf(Node n, Graph graph, int[] dispatchOf) {
        if (n.op() instanceof Op.Dispatch) return n.id();
        if (n.op() instanceof Op.Grad g) return g.ofWeight() ? -1 : dispatchOf[graph.node(g.forwardNode()).inputs().get(g.wrt())];
        if (n.op() instanceof Op.ExpertLinear || n.op() instanceof Op.Unary || n.op() instanceof Op.Binary) {
            return n.inputs().isEmpty() ? -1 : dispatchOf[n.inputs().get(0)];
        }
        return -1;
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
