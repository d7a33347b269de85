package pdagc.partition;

import java.util.ArrayList;
import java.util.List;
import pdagc.ir.Graph;
import pdagc.ir.Node;
import pdagc.mesh.MeshContext;
import pdagc.mesh.Sharding;

/**
 * sharding-propagation: walks the logical IR in order and gives every value a sharding and every
 * use a required sharding, from the per-op rules in {@link ShardingRules} and the annotations.
 *
 * <pre>
 *   %5 = linear[in=512, out=1536] @column(tp) (%4)
 *   ==>
 *   %5 : {ep,_,tp}      requires %4 as {ep,_,_}
 * </pre>
 */
public final class ShardingPropagation {
    public static final String NAME = "sharding-propagation";

    private ShardingPropagation() {}

    /** Per node: the shardings its inputs must have, and its output's. */
    public record Result(List<List<Sharding>> required, List<Sharding> output) {}

    public static Result run(Graph graph, MeshContext mesh) {
        return run(graph, mesh, 0);
    }

    /** As above, the optimizer's states sharded by ZeRO stage {@code zero} (a training step's). */
    public static Result run(Graph graph, MeshContext mesh, int zero) {
        int[] uses = new int[graph.nodes().size()];
        for (Node n : graph.nodes()) for (int i : n.inputs()) uses[i]++;
        List<List<Sharding>> required = new ArrayList<>();
        List<Sharding> output = new ArrayList<>();
        ShardingRules rules = new ShardingRules(mesh, uses, graph, required, output, zero);
        for (Node n : graph.nodes()) {
            List<Sharding> in = new ArrayList<>();
            for (int i : n.inputs()) in.add(output.get(i));
            ShardingRules.Decision d = rules.decide(n, in);
            required.add(d.required());
            output.add(d.output());
        }
        return new Result(required, output);
    }
}
