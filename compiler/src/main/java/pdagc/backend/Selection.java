package pdagc.backend;

import java.util.BitSet;
import java.util.List;
import pdagc.dag.DagNode;

/**
 * The nodes of a plan that one view draws, grouped in lanes (one per GPU, or one per GPU role), in
 * the plan's order. Drawing backends take a selection, never the whole plan, so that their cost
 * follows what is drawn.
 */
public final class Selection {
    private final View view;
    private final List<Lane> lanes;
    private final BitSet members;
    private final int size;
    private final DeploymentView deployment;

    /** One cluster of the drawing: its DOT name ({@code cluster_gpu5}), its title and its nodes. */
    public record Lane(String cluster, String title, List<DagNode> nodes) {
        public Lane {
            nodes = List.copyOf(nodes);
        }
    }

    Selection(View view, List<Lane> lanes) {
        this(view, lanes, null);
    }

    /** The lanes of a deployment view, which draws them (and what it summarizes) itself. */
    Selection(View view, List<Lane> lanes, DeploymentView deployment) {
        this.deployment = deployment;
        this.view = view;
        this.lanes = List.copyOf(lanes);
        this.members = new BitSet();
        int n = 0;
        for (Lane lane : this.lanes) {
            for (DagNode node : lane.nodes()) members.set(node.index());
            n += lane.nodes().size();
        }
        this.size = n;
    }

    /** The deployment view these lanes are part of, or null for the other views. */
    DeploymentView deployment() {
        return deployment;
    }

    public View view() {
        return view;
    }

    public List<Lane> lanes() {
        return lanes;
    }

    /** The number of DAG nodes drawn (stubs not counted). */
    public int size() {
        return size;
    }

    /** Whether the node with this index in {@code PlanDag.nodes()} is drawn. */
    public boolean contains(int nodeIndex) {
        return members.get(nodeIndex);
    }
}
