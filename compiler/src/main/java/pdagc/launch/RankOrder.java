package pdagc.launch;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import pdagc.mesh.Mesh;
import pdagc.mesh.MeshAxes;
import pdagc.sem.StrategySpec;

/**
 * Where a plan puts each GPU, as the coordinates an engine gives a rank: its tensor-, context- and
 * pipeline-parallel index, and for the experts its expert- and expert-tensor-parallel index. Two
 * numberings run the same plan when every rank has the same coordinates in both (the data-parallel
 * groups are then the ranks left with equal coordinates, the same in both).
 */
public final class RankOrder {
    private RankOrder() {}

    /** A rank's coordinates: tp, cp, pp and, for the experts, ep and etp. */
    public record Coords(int tp, int cp, int pp, int ep, int etp) {
        @Override
        public String toString() {
            return "tp " + tp + ", cp " + cp + ", pp " + pp + ", ep " + ep + ", etp " + etp;
        }
    }

    /** The coordinates pdagc's plan gives {@code rank}: the mesh's, and the expert mesh's over the stage's GPUs. */
    public static Coords pdagc(StrategySpec s, int rank) {
        Mesh m = s.mesh();
        int tp = m.coord(rank, MeshAxes.TP);
        int cp = m.coord(rank, MeshAxes.CP);
        int pp = m.coord(rank, MeshAxes.PP);
        if (s.expertMesh() == null) return new Coords(tp, cp, pp, m.coord(rank, MeshAxes.EP), tp);
        int local = stageLocal(m, rank);
        return new Coords(tp, cp, pp, s.expertMesh().coord(local, MeshAxes.EP), s.expertMesh().coord(local, MeshAxes.ETP));
    }

    /** The rank's index among the GPUs of its pipeline stage: the mesh's numbering with pp left out. */
    static int stageLocal(Mesh m, int rank) {
        List<Mesh.Axis> inner = new ArrayList<>();
        List<Integer> coords = new ArrayList<>();
        int[] c = m.coords(rank);
        for (int i = 0; i < m.axes().size(); i++) {
            if (m.axes().get(i).name().equals(MeshAxes.PP)) continue;
            inner.add(m.axes().get(i));
            coords.add(c[i]);
        }
        int r = 0;
        for (int i = 0; i < inner.size(); i++) r = r * inner.get(i).size() + coords.get(i);
        return r;
    }

    /**
     * Megatron-LM's numbering (megatron/core/parallel_state.py, RankGenerator): tp fastest, then cp,
     * then dp, then pp ({@code tp-cp-ep-dp-pp}, the default), or pp before dp with
     * {@code --use-tp-pp-dp-mapping} ({@code tp-cp-ep-pp-dp}); the experts by their own generator
     * with etp fastest, then ep, then the expert data-parallel ranks, pp as the decoder's.
     */
    public record Megatron(int tp, int cp, int pp, int dp, int ep, int etp, boolean tpPpDp) {
        public Coords coords(int rank) {
            int tpc = rank % tp;
            int cpc = rank / tp % cp;
            int ppc = tpPpDp ? rank / (tp * cp) % pp : rank / (tp * cp * dp);
            return new Coords(tpc, cpc, ppc, rank / etp % ep, rank % etp);
        }
    }

    /** The first rank whose coordinates differ between the plan and {@code engine}, if any (experts compared when {@code moe}). */
    public static Optional<Integer> firstDifference(StrategySpec s, int world, java.util.function.IntFunction<Coords> engine, boolean moe) {
        for (int r = 0; r < world; r++) {
            Coords a = pdagc(s, r);
            Coords b = engine.apply(r);
            boolean same = a.tp() == b.tp() && a.cp() == b.cp() && a.pp() == b.pp() && (!moe || (a.ep() == b.ep() && a.etp() == b.etp()));
            if (!same) return Optional.of(r);
        }
        return Optional.empty();
    }
}
