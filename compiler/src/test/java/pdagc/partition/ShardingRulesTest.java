package pdagc.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static pdagc.partition.Shardings.mesh;
import static pdagc.partition.Shardings.s;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import pdagc.ir.CollectiveKind;
import pdagc.ir.Node;
import pdagc.ir.Op;
import pdagc.ir.Parallel;
import pdagc.ir.Shape;
import pdagc.mesh.MeshContext;
import pdagc.mesh.Sharding;

/**
 * One rule per op of {@link ShardingRules#decide}: a logical node built directly, the shardings
 * its inputs arrive with, and the required input shardings and output sharding the rule gives.
 */
class ShardingRulesTest {
    static final MeshContext DP_TP = MeshContext.of(mesh("dp", 2, "tp", 4));
    static final MeshContext DP_TP_SP = MeshContext.of(mesh("dp", 2, "tp", 4), null, true).orElseThrow();
    static final MeshContext DP_CP_TP = MeshContext.of(mesh("dp", 2, "cp", 2, "tp", 2));
    static final MeshContext EP_TP = MeshContext.of(mesh("ep", 4, "tp", 2));
    /** DeepSeek-style: attention [dp 2, tp 2], experts [ep 4] folding both. */
    static final MeshContext FOLDED = MeshContext.of(mesh("dp", 2, "tp", 2), mesh("ep", 4), false).orElseThrow();

    /** Decides one node whose inputs are nodes 0..k-1, each used {@code uses} times, and renders "required -> output". */
    static String decide(MeshContext mesh, Op op, List<Parallel> parallel, int uses, String... in) {
        List<Integer> inputs = new ArrayList<>();
        List<Sharding> shardings = new ArrayList<>();
        for (int i = 0; i < in.length; i++) {
            inputs.add(i);
            shardings.add(s(in[i]));
        }
        int[] count = new int[in.length + 1];
        Arrays.fill(count, uses);
        Node n = new Node(in.length, "n", op, inputs, new Shape(8, 8, 8), 0, parallel, null);
        ShardingRules.Decision d = new ShardingRules(mesh, count).decide(n, shardings);
        List<String> req = new ArrayList<>();
        for (Sharding r : d.required()) req.add(r.toString());
        return String.join(", ", req) + " -> " + d.output();
    }

    static String decide(MeshContext mesh, Op op, List<Parallel> parallel, String... in) {
        return decide(mesh, op, parallel, 1, in);
    }

    static List<Parallel> at(Object... styleAxis) {
        List<Parallel> out = new ArrayList<>();
        for (int i = 0; i < styleAxis.length; i += 2) out.add(new Parallel((Parallel.Style) styleAxis[i], (String) styleAxis[i + 1], null));
        return out;
    }

    static final Parallel.Style COLUMN = Parallel.Style.COLUMN;
    static final Parallel.Style ROW = Parallel.Style.ROW;
    static final Parallel.Style VOCAB = Parallel.Style.VOCAB;
    static final Parallel.Style EXPERTS = Parallel.Style.EXPERTS;

    @Test
    void inputSplitsTheBatchAndTheContext() {
        assertEquals(" -> {dp,_}", decide(DP_TP, new Op.Input(), List.of()));
        assertEquals(" -> {dp,cp}", decide(DP_CP_TP, new Op.Input(), List.of()));
        assertEquals(" -> {dp,_}", decide(FOLDED, new Op.Input(), List.of()), "an expert-only ep splits no batch");
    }

    @Test
    void outputKeepsBatchAndSequence() {
        assertEquals("{dp,_,_} -> {dp,_,_}", decide(DP_TP, new Op.Output(), List.of(), "{dp,_,tp}"));
    }

    @Test
    void linearColumn() {
        Op q = new Op.Linear(512, 512, 8);
        assertEquals("{dp,_,_} -> {dp,_,tp}", decide(DP_TP, q, at(COLUMN, "tp"), "{dp,_,_}"));
        // under sequence parallelism the input is gathered out of the sequence first
        assertEquals("{dp,_,_} -> {dp,_,tp}", decide(DP_TP_SP, q, at(COLUMN, "tp"), "{dp,tp,_}"));
        // without groups, a plain column split
        assertEquals("{dp,_,_} -> {dp,_,tp}", decide(DP_TP, new Op.Linear(512, 2048, 0), at(COLUMN, "tp"), "{dp,_,_}"));
    }

    @Test
    void linearColumnWithGroupsTpDoesNotDivideSplitsOverItsMajorFactor() {
        // GQA: 2 key/value heads under tp 4, tp cut into tp.0 2 x tp.1 2 (as GroupedSplits cuts
        // it): each kv head on the pair of ranks whose query heads use it.
        Op kv = new Op.Linear(512, 128, 2);
        MeshContext cut = DP_TP.splitMajor(List.of("tp"), 2);
        MeshContext cutSp = DP_TP_SP.splitMajor(List.of("tp"), 2);
        assertEquals("{dp,_,_} -> {dp,_,tp.0}", decide(cut, kv, at(COLUMN, "tp"), "{dp,_,_}"));
        assertEquals("{dp,_,_} -> {dp,_,tp.0}", decide(cutSp, kv, at(COLUMN, "tp"), "{dp,tp.0+tp.1,_}"));
        // the query projection splits over all of tp
        assertEquals("{dp,_,_} -> {dp,_,tp.0+tp.1}", decide(cut, new Op.Linear(512, 512, 8), at(COLUMN, "tp"), "{dp,_,_}"));
        // MQA: one head, replicated on every tp rank
        assertEquals("{dp,_,_} -> {dp,_,_}", decide(cut, new Op.Linear(512, 64, 1), at(COLUMN, "tp"), "{dp,_,_}"));
        // a mesh without the cut has no factor to split over: replicated
        assertEquals("{dp,_,_} -> {dp,_,_}", decide(DP_TP, kv, at(COLUMN, "tp"), "{dp,_,_}"));
        // 4 heads under tp 4: split
        assertEquals("{dp,_,_} -> {dp,_,tp}", decide(DP_TP, new Op.Linear(512, 256, 4), at(COLUMN, "tp"), "{dp,_,_}"));
    }

    @Test
    void linearRow() {
        Op y = new Op.Linear(512, 512, 0);
        assertEquals("{dp,_,tp} -> {dp,_,_} partial(tp)", decide(DP_TP, y, at(ROW, "tp"), "{dp,_,tp}"));
        // an input that arrives split elsewhere over tp is required split on its last dimension
        assertEquals("{dp,_,tp} -> {dp,_,_} partial(tp)", decide(DP_TP_SP, y, at(ROW, "tp"), "{dp,tp,_}"));
    }

    @Test
    void linearWithoutAnnotationNeedsItsWidthWhole() {
        assertEquals("{dp,_,_} -> {dp,_,_}", decide(DP_TP, new Op.Linear(512, 512, 0), List.of(), "{dp,_,tp}"));
    }

    @Test
    void norm() {
        Op n = new Op.Norm(pdagc.ir.NormType.of("rmsnorm"), 512);
        assertEquals("{dp,_,_} -> {dp,_,_}", decide(DP_TP, n, List.of(), "{dp,_,_} partial(tp)"));
        // between tensor-parallel regions under sequence parallelism: the sequence split over tp
        assertEquals("{dp,tp,_} -> {dp,tp,_}", decide(DP_TP_SP, n, List.of(), "{dp,_,_} partial(tp)"));
        // @column(tp): normed whole, this rank keeps its columns
        assertEquals("{dp,_,_} -> {dp,_,tp}", decide(DP_TP, n, at(COLUMN, "tp"), "{dp,_,_}"));
        assertEquals("{dp,_,_} -> {dp,_,tp}", decide(DP_TP_SP, n, at(COLUMN, "tp"), "{dp,tp,_}"));
    }

    @Test
    void embedByVocabularyIsAPartialSum() {
        Op e = new Op.Embed(32000, 512);
        assertEquals("{dp,_} -> {dp,_,_} partial(tp)", decide(DP_TP, e, at(VOCAB, "tp"), "{dp,_}"));
        assertEquals("{dp,cp} -> {dp,cp,_}", decide(DP_CP_TP, e, List.of(), "{dp,cp}"));
    }

    @Test
    void attentionScoresAndContext() {
        Op scores = new Op.AttnScores(8, 8, 64);
        assertEquals("{dp,_,tp}, {dp,_,tp} -> {dp,tp,_,_}", decide(DP_TP, scores, List.of(), "{dp,_,tp}", "{dp,_,tp}"));
        Op context = new Op.AttnContext(8, 8, 64);
        assertEquals("{dp,tp,_,_}, {dp,_,tp} -> {dp,_,tp}", decide(DP_TP, context, List.of(), "{dp,tp,_,_}", "{dp,_,tp}"));
    }

    @Test
    void keysAndValuesSplitOverTheMajorFactorOfTheQueriesHeadAxesThatDividesTheirHeads() {
        // 2 kv heads, queries over tp.0 x tp.1: keys and values over tp.0, as the projection gives them.
        MeshContext cut = DP_TP.splitMajor(List.of("tp"), 2);
        assertEquals("{dp,_,tp.0+tp.1}, {dp,_,tp.0} -> {dp,tp.0+tp.1,_,_}",
                decide(cut, new Op.AttnScores(8, 2, 64), List.of(), "{dp,_,tp.0+tp.1}", "{dp,_,tp.0}"));
        assertEquals("{dp,tp.0+tp.1,_,_}, {dp,_,tp.0} -> {dp,_,tp.0+tp.1}",
                decide(cut, new Op.AttnContext(8, 2, 64), List.of(), "{dp,tp.0+tp.1,_,_}", "{dp,_,tp.0}"));
        // MQA, or tp whole (no factor divides 2 of 4 ways): whole on every tp rank.
        assertEquals("{dp,_,tp.0+tp.1}, {dp,_,_} -> {dp,tp.0+tp.1,_,_}",
                decide(cut, new Op.AttnScores(8, 1, 64), List.of(), "{dp,_,tp.0+tp.1}", "{dp,_,_}"));
        assertEquals("{dp,_,tp}, {dp,_,_} -> {dp,tp,_,_}", decide(DP_TP, new Op.AttnScores(8, 2, 64), List.of(), "{dp,_,tp}", "{dp,_,_}"));
        assertEquals("{dp,tp,_,_}, {dp,_,_} -> {dp,_,tp}", decide(DP_TP, new Op.AttnContext(8, 2, 64), List.of(), "{dp,tp,_,_}", "{dp,_,_}"));
    }

    @Test
    void underContextParallelismKeysAndValuesAreGatheredOverCp() {
        assertEquals("{dp,cp,tp}, {dp,_,tp} -> {dp,tp,cp,_}", decide(DP_CP_TP, new Op.AttnScores(8, 8, 64), List.of(), "{dp,cp,tp}", "{dp,cp,tp}"));
        assertEquals("{dp,tp,cp,_}, {dp,_,tp} -> {dp,cp,tp}",
                decide(DP_CP_TP, new Op.AttnContext(8, 8, 64), List.of(), "{dp,tp,cp,_}", "{dp,cp,tp}"));
    }

    @Test
    void expertDispatchLinearsAndCombine() {
        assertEquals("{ep,_,_}, {ep,_,_} -> {_,ep,_}", decide(EP_TP, new Op.Dispatch(16, 2), at(EXPERTS, "ep"), "{ep,_,_}", "{ep,_,_}"));
        Op up = new Op.ExpertLinear(16, 512, 2048);
        assertEquals("{ep,_,_} -> {ep,_,tp}", decide(EP_TP, up, at(EXPERTS, "ep", COLUMN, "etp"), "{_,ep,_}"));
        Op down = new Op.ExpertLinear(16, 2048, 512);
        assertEquals("{ep,_,tp} -> {ep,_,_} partial(tp)", decide(EP_TP, down, at(EXPERTS, "ep", ROW, "etp"), "{ep,_,tp}"));
        // The combine is linear in the experts' outputs: their partial sum over tp passes through, reduced after it.
        assertEquals("{_,ep,_} partial(tp), {ep,_,_} -> {ep,_,_} partial(tp)",
                decide(EP_TP, new Op.Combine(16, 2), at(EXPERTS, "ep"), "{ep,_,_} partial(tp)", "{ep,_,_}"));
    }

    @Test
    void foldedExpertsTakeEveryTokenAxis() {
        // ep = [dp, tp]: dispatch keeps the tokens split over dp; the experts need the expert dimension over dp+tp.
        assertEquals("{dp,_,_}, {dp,_,_} -> {_,dp,_}", decide(FOLDED, new Op.Dispatch(16, 2), at(EXPERTS, "ep"), "{dp,_,_}", "{dp,_,_}"));
        assertEquals("{dp+tp,_,_} -> {dp+tp,_,_}", decide(FOLDED, new Op.ExpertLinear(16, 512, 2048), at(EXPERTS, "ep"), "{_,dp,_}"));
        assertEquals("{_,dp,_}, {dp,_,_} -> {dp,_,_}", decide(FOLDED, new Op.Combine(16, 2), at(EXPERTS, "ep"), "{dp+tp,_,_}", "{dp,_,_}"));
    }

    @Test
    void addOfTwoPartialsReadOnlyHereStaysPartial() {
        Op add = new Op.Binary(pdagc.ir.BinaryFn.of("add"));
        assertEquals("{dp,_,_} partial(tp), {dp,_,_} partial(tp) -> {dp,_,_} partial(tp)",
                decide(DP_TP, add, List.of(), 1, "{dp,_,_} partial(tp)", "{dp,_,_} partial(tp)"));
        // read by other ops too: reduced once for all of them
        assertEquals("{dp,_,_}, {dp,_,_} -> {dp,_,_}", decide(DP_TP, add, List.of(), 2, "{dp,_,_} partial(tp)", "{dp,_,_} partial(tp)"));
        assertEquals("{dp,tp,_}, {dp,tp,_} -> {dp,tp,_}", decide(DP_TP_SP, add, List.of(), 2, "{dp,_,_} partial(tp)", "{dp,_,_} partial(tp)"));
        // mul is not linear in both: reduced
        assertEquals("{dp,_,_}, {dp,_,_} -> {dp,_,_}",
                decide(DP_TP, new Op.Binary(pdagc.ir.BinaryFn.of("mul")), List.of(), 1, "{dp,_,_} partial(tp)", "{dp,_,_} partial(tp)"));
        // the operand that is not a partial sum sets the sharding
        assertEquals("{dp,tp,_}, {dp,tp,_} -> {dp,tp,_}", decide(DP_TP_SP, add, List.of(), 1, "{dp,tp,_}", "{dp,_,_} partial(tp)"));
        assertEquals("{dp,_,tp}, {dp,_,tp} -> {dp,_,tp}", decide(DP_TP, new Op.Binary(pdagc.ir.BinaryFn.of("mul")), List.of(), 1, "{dp,_,_} partial(tp)", "{dp,_,tp}"));
    }

    @Test
    void softmaxNeedsItsLastDimensionWhole() {
        assertEquals("{dp,tp,_,_} -> {dp,tp,_,_}", decide(DP_TP, new Op.Softmax(), List.of(), "{dp,tp,_,_}"));
        assertEquals("{dp,_,_,_} -> {dp,_,_,_}", decide(DP_TP, new Op.Softmax(), List.of(), "{dp,_,_,tp}"));
    }

    @Test
    void unaryAndRouter() {
        assertEquals("{dp,_,tp} -> {dp,_,tp}", decide(DP_TP, new Op.Unary(pdagc.ir.UnaryFn.of("silu")), List.of(), "{dp,_,tp}"));
        assertEquals("{dp,_,_} -> {dp,_,_}", decide(DP_TP, new Op.Unary(pdagc.ir.UnaryFn.of("gelu")), List.of(), "{dp,_,_} partial(tp)"));
        assertEquals("{dp,tp,_} -> {dp,tp,_}", decide(DP_TP_SP, new Op.Router(16, 2, 512), List.of(), "{dp,_,_}"));
    }

    @Test
    void lastTokenGathersTheSequence() {
        assertEquals("{dp,_,_} -> {dp,_,_}", decide(DP_CP_TP, new Op.LastToken(), List.of(), "{dp,cp,_}"));
        assertEquals("{dp,_,_} -> {dp,_,_}", decide(DP_TP_SP, new Op.LastToken(), List.of(), "{dp,tp,_}"));
    }

    @Test
    void biasReducesAPartialSum() {
        assertEquals("{dp,_,tp} -> {dp,_,tp}", decide(DP_TP, new Op.Bias(512), List.of(), "{dp,_,tp}"));
        assertEquals("{dp,_,_} -> {dp,_,_}", decide(DP_TP, new Op.Bias(512), List.of(), "{dp,_,_} partial(tp)"));
    }

    @Test
    void headNormKeepsASplitBetweenWholeHeads() {
        assertEquals("{dp,_,tp} -> {dp,_,tp}", decide(DP_TP, new Op.HeadNorm(pdagc.ir.NormType.of("rmsnorm"), 64, 512), List.of(), "{dp,_,tp}"));
        // 2 heads under tp 4: the split would cut heads
        assertEquals("{dp,_,_} -> {dp,_,_}", decide(DP_TP, new Op.HeadNorm(pdagc.ir.NormType.of("rmsnorm"), 64, 128), List.of(), "{dp,_,tp}"));
    }

    @Test
    void scaleKeepsRowsAndPartialSums() {
        assertEquals("{dp,_,_} partial(tp), {dp,_,_} -> {dp,_,_} partial(tp)",
                decide(DP_TP, new Op.Scale(), List.of(), "{dp,_,_} partial(tp)", "{dp,_,_}"));
        assertEquals("{dp,tp,_}, {dp,tp,_} -> {dp,tp,_}", decide(DP_TP_SP, new Op.Scale(), List.of(), "{dp,tp,_}", "{dp,_,_}"));
    }

    @Test
    void tiedHeadIsColumnParallelOverTheVocabulary() {
        assertEquals("{dp,_,_} -> {dp,_,tp}", decide(DP_TP, new Op.TiedHead(512, 32000), at(COLUMN, "tp"), "{dp,_,_}"));
        assertEquals("{dp,_,_} -> {dp,_,tp}", decide(DP_TP_SP, new Op.TiedHead(512, 32000), at(COLUMN, "tp"), "{dp,tp,_}"));
        assertEquals("{dp,_,_} -> {dp,_,_}", decide(DP_TP, new Op.TiedHead(512, 32000), List.of(), "{dp,_,_}"));
    }

    @Test
    void positionEmbeddingFollowsTheTokens() {
        assertEquals("{dp,cp} -> {dp,cp,_}", decide(DP_CP_TP, new Op.PosEmbed(1024, 512), List.of(), "{dp,cp}"));
    }

    @Test
    void latentAttention() {
        Op scores = new Op.MlaScores(16, 128, 64, 512);
        assertEquals("{dp,_,tp}, {dp,_,tp}, {dp,_,_}, {dp,_,_} -> {dp,tp,_,_}",
                decide(DP_TP, scores, List.of(), "{dp,_,tp}", "{dp,_,tp}", "{dp,_,_}", "{dp,_,_}"));
        // 2 heads under tp 4: heads whole
        assertEquals("{dp,_,_}, {dp,_,_}, {dp,_,_}, {dp,_,_} -> {dp,_,_,_}",
                decide(DP_TP, new Op.MlaScores(2, 128, 64, 512), List.of(), "{dp,_,tp}", "{dp,_,tp}", "{dp,_,_}", "{dp,_,_}"));
        // context parallelism: queries gathered over the sequence
        assertEquals("{dp,_,tp}, {dp,_,tp}, {dp,_,_}, {dp,_,_} -> {dp,tp,_,_}",
                decide(DP_CP_TP, new Op.MlaScores(16, 128, 64, 512), List.of(), "{dp,cp,tp}", "{dp,cp,tp}", "{dp,cp,_}", "{dp,cp,_}"));
        assertEquals("{dp,tp,_,_}, {dp,_,_} -> {dp,_,tp}", decide(DP_TP, new Op.MlaContext(16, 512, 128), List.of(), "{dp,tp,_,_}", "{dp,_,_}"));
    }

    @Test
    void partitionerOpsCannotBeDecided() {
        assertThrows(IllegalStateException.class,
                () -> decide(DP_TP, new Op.Collective(CollectiveKind.ALL_REDUCE, List.of("tp"), -1, -1), List.of(), "{dp,_,_}"));
        assertThrows(IllegalStateException.class, () -> decide(DP_TP, new Op.Slice(List.of("tp"), 0), List.of(), "{dp,_,_}"));
    }
}
