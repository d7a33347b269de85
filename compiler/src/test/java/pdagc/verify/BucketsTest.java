package pdagc.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import pdagc.ir.CollectiveKind;

/** Dispatched tokens keep the order of the plan's dense buckets through gathers, all-to-alls and slices. */
public class BucketsTest {
    private static final List<String> TP = List.of("tp");
    private static final List<String> DP = List.of("dp");
    private static final List<String> DP_TP = List.of("dp", "tp");

    /** Rank r = 2 dp + tp of a [dp 2, tp 2] mesh dispatched tokens 10 r .. 10 r + 2 to each of 4 experts, 2 columns wide. */
    private static Buckets dispatched(int r) {
        List<List<Buckets.Entry>> experts = new ArrayList<>();
        for (int e = 0; e < 4; e++) {
            List<Buckets.Entry> bucket = new ArrayList<>();
            for (int k = 0; k < 3; k++) bucket.add(Buckets.Entry.dispatched(10L * r + k, e % 2, k, 3, new double[] {r, k}));
            experts.add(bucket);
        }
        return new Buckets(0, experts);
    }

    /** Every rank's result of one collective over dp, tp or both. */
    private static List<Value> run(List<Value> in, CollectiveKind kind, List<String> axes, int dim, int toDim) {
        List<Value> out = new ArrayList<>();
        for (int r = 0; r < 4; r++) {
            int dp = r / 2;
            int tp = r % 2;
            List<Value> parts;
            int me;
            if (axes.equals(TP)) {
                parts = List.of(in.get(2 * dp), in.get(2 * dp + 1));
                me = tp;
            } else if (axes.equals(DP)) {
                parts = List.of(in.get(tp), in.get(2 + tp));
                me = dp;
            } else {
                parts = in;
                me = r;
            }
            out.add(Collectives.run(kind, axes, dim, toDim, parts, me));
        }
        return out;
    }

    private static List<Long> tokens(Value v, int expert) {
        List<Long> t = new ArrayList<>();
        for (Buckets.Entry e : ((Buckets) v).experts.get(expert)) t.add(e.token());
        return t;
    }

    /**
     * Fuzz case 3092 of seed 1: the gate's tokens reach their experts in one all-to-all over dp+tp;
     * the up projection's are gathered over tp, sent over dp, sliced over tp (a dense slice keeps
     * one dp rank's half) and put back by an all-to-all over tp that splits their width. Both
     * must hold each expert's tokens in the same order, or act(gate) * up pairs different tokens.
     */
    @Test
    void twoRoutesToTheExpertsGiveOneOrder() {
        List<Value> sent = new ArrayList<>();
        for (int r = 0; r < 4; r++) sent.add(dispatched(r));
        List<Value> gate = run(run(sent, CollectiveKind.ALL_TO_ALL, DP_TP, 0, 1), CollectiveKind.ALL_GATHER, TP, 0, 0);
        List<Value> up = run(sent, CollectiveKind.ALL_GATHER, TP, 1, 1);
        up = run(up, CollectiveKind.ALL_TO_ALL, DP, 0, 1);
        List<Value> sliced = new ArrayList<>();
        for (int r = 0; r < 4; r++) sliced.add(Collectives.slice(up.get(r), TP, 1, 2, r % 2));
        assertEquals(List.of(0L, 1L, 2L, 10L, 11L, 12L), tokens(sliced.get(0), 0), "a dense slice keeps the tokens of dp rank 0");
        up = run(sliced, CollectiveKind.ALL_TO_ALL, TP, 2, 1);
        for (int r = 0; r < 4; r++) {
            Buckets g = (Buckets) gate.get(r);
            assertEquals(g.firstExpert, ((Buckets) up.get(r)).firstExpert);
            for (int e = 0; e < g.experts.size(); e++) {
                assertEquals(List.of(0L, 1L, 2L, 10L, 11L, 12L, 20L, 21L, 22L, 30L, 31L, 32L), tokens(g, e));
                assertEquals(tokens(g, e), tokens(up.get(r), e), "rank " + r + ", expert " + e);
            }
        }
        // And back: the combine's all-to-all returns every rank its own tokens.
        List<Value> back = run(run(gate, CollectiveKind.REDUCE_SCATTER, TP, 0, 0), CollectiveKind.ALL_TO_ALL, DP_TP, 1, 0);
        for (int r = 0; r < 4; r++) {
            for (int e = 0; e < 4; e++) assertEquals(List.of(10L * r, 10L * r + 1, 10L * r + 2), tokens(back.get(r), e), "rank " + r + ", expert " + e);
        }
    }

    /**
     * The parts of a split, concatenated in order, are the entries in their order, whether the
     * split follows the blocks they were gathered in or cuts through them (three parts of blocks
     * gathered over 2 ranks, as [ep 2, dp 3] slices over dp what it sent over ep).
     */
    @Test
    void partsInOrderAreTheWhole() {
        List<Buckets.Entry> dispatched = new ArrayList<>();
        for (int k = 0; k < 7; k++) dispatched.add(Buckets.Entry.dispatched(k, 0, k, 7, new double[] {k}));
        List<Buckets.Entry> gathered = new ArrayList<>();
        for (int i = 0; i < 4; i++) for (int k = 0; k <= i; k++) gathered.add(Buckets.Entry.dispatched(10L * i + k, 0, k, i + 1, new double[] {k}).in(i, 4));
        List<Buckets.Entry> twice = new ArrayList<>();
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) for (int k = 0; k < 2; k++) twice.add(Buckets.Entry.dispatched(100L * i + 10L * j + k, 0, k, 2, new double[] {k}).in(j, 3).in(i, 2));
        for (List<Buckets.Entry> bucket : List.of(dispatched, gathered, twice)) {
            for (int n : new int[] {1, 2, 3, 4, 6, 8}) {
                List<Long> joined = new ArrayList<>();
                List<Buckets.Entry> back = new ArrayList<>();
                for (int me = 0; me < n; me++) {
                    for (Buckets.Entry e : Buckets.part(bucket, n, me)) {
                        joined.add(e.token());
                        back.add(e.in(me, n));
                    }
                }
                List<Long> whole = new ArrayList<>();
                for (Buckets.Entry e : bucket) whole.add(e.token());
                assertEquals(whole, joined, n + " ways");
                for (int k = 0; k < bucket.size(); k++) assertEquals(bucket.get(k).place(), back.get(k).place(), n + " ways, entry " + k);
            }
        }
        // [ep 2, dp 3]: what ep rank 0 sent lies in the first half; dp rank 1's third holds ep 0's
        // last block and ep 1's first, as a dense slice does.
        assertEquals(List.of(20L, 21L, 100L, 101L), Buckets.part(twice, 3, 1).stream().map(Buckets.Entry::token).toList());
    }
}
