package pdagc.analysis;

import java.util.List;
import pdagc.dag.DagEdge;
import pdagc.dag.DagNode;
import pdagc.dag.PlanDag;

/**
 * The per-GPU DAG as arrays that the analyses walk: every node's predecessors and successors
 * (compressed rows, in edge order), each GPU's nodes in schedule order, and each node's position in
 * its GPU's schedule. Plans reach millions of nodes, so this holds ints, not objects.
 */
final class DagIndex {
    final PlanDag dag;
    final int[] predStart;
    final int[] preds;
    final int[] succStart;
    final int[] succs;
    /** Each GPU's node indices in schedule order. */
    final int[][] schedule;
    /** Each node's position in its GPU's schedule. */
    final int[] position;

    DagIndex(PlanDag dag) {
        this.dag = dag;
        int n = dag.nodes().size();
        List<DagEdge> edges = dag.edges();
        predStart = new int[n + 1];
        succStart = new int[n + 1];
        for (DagEdge e : edges) {
            predStart[e.to() + 1]++;
            succStart[e.from() + 1]++;
        }
        for (int i = 0; i < n; i++) {
            predStart[i + 1] += predStart[i];
            succStart[i + 1] += succStart[i];
        }
        preds = new int[edges.size()];
        succs = new int[edges.size()];
        int[] p = predStart.clone();
        int[] s = succStart.clone();
        for (DagEdge e : edges) {
            preds[p[e.to()]++] = e.from();
            succs[s[e.from()]++] = e.to();
        }
        int gpus = dag.gpus().size();
        int[] count = new int[gpus];
        for (DagNode node : dag.nodes()) count[node.gpu()]++;
        schedule = new int[gpus][];
        for (int g = 0; g < gpus; g++) schedule[g] = new int[count[g]];
        position = new int[n];
        int[] next = new int[gpus];
        for (DagNode node : dag.nodes()) {
            position[node.index()] = next[node.gpu()];
            schedule[node.gpu()][next[node.gpu()]++] = node.index();
        }
    }

    DagNode node(int i) {
        return dag.nodes().get(i);
    }
}
