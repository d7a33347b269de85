package pdagc.analysis;

import pdagc.dag.DagNode;
import pdagc.dag.Quotient;

/**
 * The plan's quotient ({@link Quotient}: one representative GPU per role) as arrays that the
 * analyses walk: every quotient node's predecessors and successors (compressed rows, in edge
 * order), each role's nodes in schedule order, each node's role and position in that schedule.
 * Indices here are the quotient's; {@link Quotient#nodes()} gives each node's plan index.
 */
final class DagIndex {
    final Quotient q;
    final int[] predStart;
    final int[] preds;
    final int[] succStart;
    final int[] succs;
    /** Each role's nodes in schedule order. */
    final int[][] schedule;
    /** Each node's role and its position in the role's schedule. */
    final int[] role;
    final int[] position;

    DagIndex(Quotient q) {
        this.q = q;
        int n = q.nodes().size();
        int m = q.edges();
        predStart = new int[n + 1];
        succStart = new int[n + 1];
        for (int e = 0; e < m; e++) {
            predStart[q.to(e) + 1]++;
            succStart[q.from(e) + 1]++;
        }
        for (int i = 0; i < n; i++) {
            predStart[i + 1] += predStart[i];
            succStart[i + 1] += succStart[i];
        }
        preds = new int[m];
        succs = new int[m];
        int[] p = predStart.clone();
        int[] s = succStart.clone();
        for (int e = 0; e < m; e++) {
            preds[p[q.to(e)]++] = q.from(e);
            succs[s[q.from(e)]++] = q.to(e);
        }
        int roles = q.roles();
        role = new int[n];
        int[] count = new int[roles];
        for (int i = 0; i < n; i++) {
            role[i] = q.roleOf(q.nodes().get(i).gpu());
            count[role[i]]++;
        }
        schedule = new int[roles][];
        for (int g = 0; g < roles; g++) schedule[g] = new int[count[g]];
        position = new int[n];
        int[] next = new int[roles];
        for (int i = 0; i < n; i++) {
            position[i] = next[role[i]];
            schedule[role[i]][next[role[i]]++] = i;
        }
    }

    DagNode node(int i) {
        return q.nodes().get(i);
    }
}
