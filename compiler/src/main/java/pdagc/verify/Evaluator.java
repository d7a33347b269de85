package pdagc.verify;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import pdagc.dag.DagNode;
import pdagc.dag.PlanDag;
import pdagc.ir.Graph;
import pdagc.ir.Op;
import pdagc.mesh.Mesh;
import pdagc.mesh.Sharding;
import pdagc.spmd.SpmdNode;
import pdagc.spmd.SpmdProgram;
import pdagc.spmd.WeightLayout;

/**
 * Runs a per-GPU DAG with real numbers: every GPU holds its shards of deterministic global weights
 * (sliced by {@link WeightLayout}), every collective is carried out between the simulated GPUs
 * from the groups the DAG names, and routing is deterministic (top-k, ties to the lower index, no
 * token dropped). Ops run in program order, all GPUs at one op before the next, so peers' inputs
 * are ready whatever groups the DAG names.
 */
final class Evaluator {
    private final Graph logical;
    private final SpmdProgram program;
    private final PlanDag dag;
    private final Mesh mesh;
    private final long seed;
    private final boolean decode;
    private final int context;
    private final Map<Integer, Tensor> weights = new HashMap<>();
    /** Per op: whether it runs once per step (after every micro-batch). */
    private final boolean[] perStep;
    /** The forward SPMD op of each differentiated logical node. */
    private final Map<Integer, SpmdNode> forward = new HashMap<>();
    /** Node index by GPU and micro-batch * ops + op. */
    private final int[][] lookup;
    private final int micro;
    /** The micro-batch being evaluated, and the one whose tokens and cache it uses. */
    private int mb;
    private int dataMb;
    private final int vocab;
    /** Mutation hook for tests: the rank whose weight shard a node loads. */
    private final Map<Integer, Integer> shardOverride;
    /** ZeRO-3: weights rest sharded and each use reads them gathered (an input), never loaded whole. */
    private final boolean sharded;

    Evaluator(Graph logical, SpmdProgram program, PlanDag dag, long seed, boolean decode, int context, Map<Integer, Integer> shardOverride) {
        this.logical = logical;
        this.program = program;
        this.dag = dag;
        this.mesh = program.mesh();
        this.seed = seed;
        this.decode = decode;
        this.context = context;
        this.shardOverride = shardOverride;
        int p = program.nodes().size();
        micro = program.pipeline().microBatches();
        lookup = new int[dag.gpus().size()][micro * p];
        for (int[] row : lookup) Arrays.fill(row, -1);
        for (DagNode n : dag.nodes()) lookup[n.gpu()][n.microBatch() * p + n.program()] = n.index();
        int v = 1;
        for (pdagc.ir.Node n : logical.nodes()) if (n.op() instanceof Op.Embed e) v = (int) e.vocab();
        vocab = v;
        perStep = program.perStep();
        // Sharded where some op reads a shard at rest (the unpartitioned model's weights are whole, its shards unread).
        boolean any = false;
        for (SpmdNode n : program.nodes()) for (int i : n.inputs()) any |= program.nodes().get(i).op() instanceof Op.Param;
        sharded = any;
    }

    /** A failure to evaluate, with where it happened. */
    record Failure(DagNode node, String message) {}

    /** Values by DAG node index; {@code failure} set when evaluation stopped. */
    record Run(Value[] values, Failure failure) {}

    /**
     * Sees each op's values as soon as every GPU has run it (micro-batch {@code mb}, program op
     * {@code op}); returns false to stop the run (a disagreement was found). Values it has seen may
     * be dropped once nothing later reads them.
     */
    interface Observer {
        boolean ran(int mb, int op, Value[] values);
    }

    /** Every micro-batch of the plan, each with its own tokens. */
    Run run() {
        return run(null);
    }

    /**
     * As {@link #run()}, showing each op's values to {@code observer} and then dropping every value
     * that no op still to run reads (with an observer only). A training step's once-per-step ops
     * run as soon as the last micro-batch has made their inputs (a weight's accumulation and update
     * right after its last gradient) rather than after the whole pass: memory holds the live
     * values, not the whole step's, so a 64-GPU training step at tiny shapes fits a small heap.
     */
    Run run(Observer observer) {
        Value[] values = new Value[dag.nodes().size()];
        if (observer == null) {
            for (int m = 0; m < micro; m++) {
                Failure f = runMicroBatch(m, m, values, null, null);
                if (f != null) return new Run(values, f);
            }
            return new Run(values, runStep(values));
        }
        int ops = program.nodes().size();
        // The last micro-batch's order: each op, then the step ops whose inputs it completes.
        int[] ready = new int[ops];
        List<Integer> order = new ArrayList<>();
        List<List<Integer>> after = new ArrayList<>();
        for (int p = 0; p < ops; p++) after.add(new ArrayList<>());
        for (SpmdNode n : program.nodes()) {
            if (!perStep[n.id()]) continue;
            int r = 0;
            for (int i : n.inputs()) r = Math.max(r, perStep[i] ? ready[i] : i);
            ready[n.id()] = r;
            after.get(r).add(n.id());
        }
        for (int p = 0; p < ops; p++) {
            if (perStep[p]) continue;
            order.add(p);
            order.addAll(after.get(p));
        }
        // Where in that order each op is read for the last time (its own place if never read).
        int[] pos = new int[ops];
        for (int k = 0; k < order.size(); k++) pos[order.get(k)] = k;
        int[] lastPos = new int[ops];
        int[] lastInMb = new int[ops];
        boolean[] stepRead = new boolean[ops];
        for (int p = 0; p < ops; p++) {
            lastPos[p] = pos[p];
            lastInMb[p] = p;
        }
        for (SpmdNode n : program.nodes()) {
            for (int i : n.inputs()) {
                lastPos[i] = Math.max(lastPos[i], pos[n.id()]);
                if (perStep[n.id()]) stepRead[i] = true;
                else lastInMb[i] = Math.max(lastInMb[i], n.id());
            }
        }
        // Earlier micro-batches: an op's values go after its last reader, unless a step op reads them.
        List<List<Integer>> dyingInMb = new ArrayList<>();
        for (int p = 0; p < ops; p++) dyingInMb.add(new ArrayList<>());
        for (int i = 0; i < ops; i++) if (!perStep[i] && !stepRead[i]) dyingInMb.get(lastInMb[i]).add(i);
        for (int m = 0; m + 1 < micro; m++) {
            Failure f = runMicroBatch(m, m, values, observer, dyingInMb);
            if (f != null || stopped) return new Run(values, f);
        }
        List<List<Integer>> dying = new ArrayList<>();
        for (int k = 0; k < order.size(); k++) dying.add(new ArrayList<>());
        for (int i = 0; i < ops; i++) dying.get(lastPos[i]).add(i);
        int m = micro - 1;
        for (int k = 0; k < order.size(); k++) {
            int p = order.get(k);
            boolean step = perStep[p];
            Failure f = step ? runStepOp(p, values) : runOp(m, m, p, values);
            if (f != null) return new Run(values, f);
            if (!observer.ran(step ? 0 : m, p, values)) return new Run(values, null);
            for (int i : dying.get(k)) {
                // A step op's values are micro-batch 0's; an op a step op reads, every micro-batch's.
                if (perStep[i]) release(0, 0, i, values);
                else release(stepRead[i] ? 0 : m, m, i, values);
            }
        }
        return new Run(values, null);
    }

    private boolean stopped;

    /** Drops micro-batches {@code from..to}'s values of op {@code i}. */
    private void release(int from, int to, int i, Value[] values) {
        int ops = program.nodes().size();
        for (int m = from; m <= to; m++) {
            for (int g = 0; g < lookup.length; g++) {
                int idx = lookup[g][m * ops + i];
                if (idx >= 0) values[idx] = null;
            }
        }
    }

    /** A training step's once-per-step ops, after every micro-batch (each is micro-batch 0 of the plan). */
    private Failure runStep(Value[] values) {
        if (!program.training()) return null;
        int ops = program.nodes().size();
        for (int p = 0; p < ops; p++) {
            if (!perStep[p]) continue;
            Failure f = runStepOp(p, values);
            if (f != null) return f;
        }
        return null;
    }

    /** One once-per-step op on every GPU (it is micro-batch 0's node). */
    private Failure runStepOp(int p, Value[] values) {
        mb = 0;
        dataMb = 0;
        for (int g = 0; g < lookup.length; g++) {
            int idx = lookup[g][p];
            if (idx < 0) continue;
            DagNode node = dag.nodes().get(idx);
            try {
                values[idx] = program.nodes().get(p).op() instanceof Op.Accumulate ? accumulate(g, program.nodes().get(p), values)
                        : eval(node, program.nodes().get(p), values);
            } catch (Kernels.EvalError | IndexOutOfBoundsException | ArithmeticException e) {
                return new Failure(node, e.getMessage());
            }
        }
        return null;
    }

    /** A weight gradient summed over the step's micro-batches, on GPU {@code g}. */
    private Value accumulate(int g, SpmdNode sn, Value[] values) {
        int input = sn.inputs().get(0);
        int ops = program.nodes().size();
        Tensor sum = null;
        for (int m = 0; m < micro; m++) {
            int idx = lookup[g][m * ops + input];
            if (idx < 0 || values[idx] == null) throw new Kernels.EvalError("micro-batch " + m + "'s gradient is not on GPU " + g);
            Tensor t = dense(values[idx]);
            if (sum == null) sum = Tensor.zeros(t.shape);
            for (int i = 0; i < t.data.length; i++) sum.data[i] += t.data[i];
        }
        return sum;
    }

    /** The plan's first micro-batch on the tokens of micro-batch {@code data} (the unpartitioned model). */
    Run runAs(int data) {
        Value[] values = new Value[dag.nodes().size()];
        return new Run(values, runMicroBatch(0, data, values, null, null));
    }

    private Failure runMicroBatch(int m, int data, Value[] values, Observer observer, List<List<Integer>> dying) {
        int ops = program.nodes().size();
        for (int p = 0; p < ops; p++) {
            if (perStep[p]) continue;
            Failure f = runOp(m, data, p, values);
            if (f != null) return f;
            if (observer == null) continue;
            if (!observer.ran(m, p, values)) {
                stopped = true;
                return null;
            }
            for (int i : dying.get(p)) release(m, m, i, values);
        }
        return null;
    }

    /** Op {@code p} of micro-batch {@code m} (on the tokens of micro-batch {@code data}) on every GPU. */
    private Failure runOp(int m, int data, int p, Value[] values) {
        mb = m;
        dataMb = data;
        int ops = program.nodes().size();
        for (int g = 0; g < lookup.length; g++) {
            int idx = lookup[g][m * ops + p];
            if (idx < 0) continue;
            DagNode node = dag.nodes().get(idx);
            try {
                values[idx] = eval(node, program.nodes().get(p), values);
            } catch (Kernels.EvalError | IndexOutOfBoundsException | ArithmeticException e) {
                return new Failure(node, e.getMessage());
            }
        }
        return null;
    }

    /** Tokens and KV cache differ per micro-batch; weights do not. */
    private long dataSeed() {
        return dataSeed(seed, dataMb);
    }

    static long dataSeed(long seed, int microBatch) {
        return seed ^ Random.mix(0xC0FFEEL + microBatch);
    }

    private int at(int gpu, int op) {
        int ops = program.nodes().size();
        return gpu < lookup.length ? lookup[gpu][mb * ops + op] : -1;
    }

    private Value eval(DagNode node, SpmdNode sn, Value[] values) {
        int r = node.gpu();
        List<Value> in = new ArrayList<>();
        if (op(sn) instanceof Op.Transfer t) return transfer(node, sn, t, values);
        for (int i : sn.inputs()) {
            int idx = at(r, i);
            if (idx < 0 || values[idx] == null) throw new Kernels.EvalError("input %" + i + " is not on GPU " + r);
            in.add(values[idx]);
        }
        // ZeRO-3: the weight this op computes with arrives as its last input, gathered from its shard at rest.
        Tensor gathered = null;
        if (!moves(sn.op()) && !sn.inputs().isEmpty() && isWeight(sn.inputs().get(sn.inputs().size() - 1))) gathered = dense(in.remove(in.size() - 1));
        return sn.op().accept(new Kernel(node, sn, values, in, r, gathered));
    }

    /** Whether {@code op} moves or slices a value (a weight's gathers among them) rather than computing with it. */
    private static boolean moves(Op op) {
        return op instanceof Op.Collective || op instanceof Op.Slice || op instanceof Op.Transfer;
    }

    /** Whether SPMD node {@code i} holds a weight (ZeRO-3's shard at rest, or a gather of it). */
    private boolean isWeight(int i) {
        return sharded && logical.node(program.nodes().get(i).origin()).op() instanceof Op.Param;
    }

    /** The reference kernel of each op on one GPU's inputs. */
    private final class Kernel implements Op.Visitor<Value> {
        private final DagNode node;
        private final SpmdNode sn;
        private final Value[] values;
        private final List<Value> in;
        private final int r;
        /** ZeRO-3: the weight as gathered for this op; null where weights are whole at rest. */
        private final Tensor gathered;

        Kernel(DagNode node, SpmdNode sn, Value[] values, List<Value> in, int r, Tensor gathered) {
            this.node = node;
            this.sn = sn;
            this.values = values;
            this.in = in;
            this.r = r;
            this.gathered = gathered;
        }

        /** The weight of forward op {@code s} as this op reads it: its layout's block, which ZeRO-3 must have gathered. */
        private Tensor w(SpmdNode s) {
            return checked(weight(s, node));
        }

        private Tensor tied(Op.TiedHead t, SpmdNode s) {
            return checked(tiedWeight(t, s, node));
        }

        /** Where weights rest sharded, the gathered input in place of {@code block} (the block the layout gives), which it must match in shape. */
        private Tensor checked(Tensor block) {
            if (!sharded) return block;
            if (gathered == null) throw new Kernels.EvalError("its weight was not gathered from the shards at rest");
            if (!java.util.Arrays.equals(gathered.shape, block.shape)) {
                throw new Kernels.EvalError("its weight arrives as " + java.util.Arrays.toString(gathered.shape) + " where its layout holds "
                        + java.util.Arrays.toString(block.shape));
            }
            return gathered;
        }

        private Tensor x() {
            return dense(in.get(0));
        }

        public Value collective(Op.Collective c) {
            return Evaluator.this.collective(node, sn, c, values);
        }

        public Value transfer(Op.Transfer t) {
            return Evaluator.this.transfer(node, sn, t, values);
        }

        public Value input(Op.Input op) {
            return Layout.shard(tokens(sn), sn.sharding(), mesh, r);
        }

        public Value output(Op.Output op) {
            return in.get(0);
        }

        public Value embed(Op.Embed op) {
            Sharding ws = WeightLayout.of(sn, program);
            return Kernels.embed(x(), w(sn), Layout.offset(ws, 0, (int) op.weight().dim(0), mesh, shardRank(node)));
        }

        public Value linear(Op.Linear op) {
            return Kernels.linear(x(), w(sn));
        }

        public Value einsum(Op.Einsum op) {
            return Kernels.einsum(op.contraction(), x(), w(sn));
        }

        public Value norm(Op.Norm n) {
            return ownColumns(Kernels.norm(n.type(), x(), w(sn)), sn, r);
        }

        public Value softmax(Op.Softmax op) {
            return Kernels.softmax(x());
        }

        public Value unary(Op.Unary u) {
            return in.get(0) instanceof Buckets b ? Kernels.unary(u.fn(), b) : Kernels.unary(u.fn(), x());
        }

        public Value binary(Op.Binary b) {
            return Semantics.binary(b.fn(), in.get(0), in.get(1));
        }

        public Value lastToken(Op.LastToken op) {
            return Kernels.lastToken(x());
        }

        public Value attnScores(Op.AttnScores a) {
            return Attention.scores(x(), dense(in.get(1)), (int) a.headDim(), where(a, sn.inputs().get(0), sn.inputs().get(1), r));
        }

        public Value attnContext(Op.AttnContext a) {
            // Back from the probabilities (through their dropout and softmax) to the scores they come from.
            SpmdNode scores = program.nodes().get(sn.inputs().get(0));
            while (!(scores.op() instanceof Op.AttnScores)) scores = program.nodes().get(scores.inputs().get(0));
            return Attention.context(x(), dense(in.get(1)), (int) a.headDim(), where(a, scores.inputs().get(0), sn.inputs().get(1), r));
        }

        public Value router(Op.Router rt) {
            return Kernels.router(x(), w(sn), (int) rt.top());
        }

        public Value dispatch(Op.Dispatch d) {
            SpmdNode x = program.nodes().get(sn.inputs().get(0));
            return Kernels.dispatch(x(), dense(in.get(1)), (int) d.experts(), 0, tokenIds(x, r));
        }

        public Value expertLinear(Op.ExpertLinear op) {
            Sharding ws = WeightLayout.of(sn, program);
            int offset = Layout.offset(ws, 0, (int) op.weight().dim(0), mesh, shardRank(node));
            if (!(in.get(0) instanceof Buckets b)) throw new Kernels.EvalError("expert_linear needs dispatched tokens");
            return Kernels.expertLinear(b, w(sn), offset);
        }

        public Value combine(Op.Combine op) {
            SpmdNode route = program.nodes().get(sn.inputs().get(1));
            if (!(in.get(0) instanceof Buckets b)) throw new Kernels.EvalError("combine needs expert outputs");
            return Kernels.combine(b, dense(in.get(1)), tokenIds(route, r), (int) sn.local().last());
        }

        public Value bias(Op.Bias op) {
            return Kernels.bias(x(), w(sn));
        }

        public Value headNorm(Op.HeadNorm h) {
            return Kernels.headNorm(h.type(), (int) h.headDim(), x(), w(sn));
        }

        public Value scale(Op.Scale op) {
            return Kernels.scale(x(), dense(in.get(1)));
        }

        public Value tiedHead(Op.TiedHead t) {
            return Kernels.linearTransposed(x(), tied(t, sn));
        }

        public Value posEmbed(Op.PosEmbed op) {
            return Kernels.posEmbed(x(), w(sn), firstPosition(program.nodes().get(sn.inputs().get(0)), r));
        }

        public Value mlaScores(Op.MlaScores m) {
            List<Integer> q = sn.inputs();
            return Mla.scores(x(), dense(in.get(1)), dense(in.get(2)), dense(in.get(3)), w(sn), (int) m.nope(), (int) m.rope(),
                    mlaWhere(q.get(0), q.get(2), q.get(3), r));
        }

        public Value mlaContext(Op.MlaContext op) {
            SpmdNode scores = program.nodes().get(sn.inputs().get(0));
            while (!(scores.op() instanceof Op.MlaScores)) scores = program.nodes().get(scores.inputs().get(0));
            return Mla.context(x(), dense(in.get(1)), w(sn), mlaWhere(scores.inputs().get(0), sn.inputs().get(1), scores.inputs().get(3), r));
        }

        public Value slice(Op.Slice s) {
            return Collectives.slice(in.get(0), s.axes(), s.dim(), mesh.size(s.axes()), Layout.block(s.axes(), mesh, r));
        }

        public Value logitStat(Op.LogitStat s) {
            return switch (s.stat()) {
                case MAX -> Backward.logitMax(x());
                case SUM_EXP -> Backward.sumExp(x(), dense(in.get(1)));
                case LABEL -> Backward.labelLogit(x(), dense(in.get(1)), Math.toIntExact(s.vocab()), vocabOffset(sn, s.vocab(), r));
            };
        }

        public Value loss(Op.Loss l) {
            return Backward.loss(dense(in.get(Op.Loss.MAX)), dense(in.get(Op.Loss.SUM_EXP)), dense(in.get(Op.Loss.LABEL)));
        }

        public Value update(Op.Update u) {
            Tensor global = weights.computeIfAbsent(u.forwardNode(), id -> globalWeight(u.forward(), id));
            return Backward.adam(Layout.shard(global, sn.sharding(), mesh, shardRank(node)), x(), u.lr(), u.eps(), u.weightDecay());
        }

        public Value updated(Op.Updated u) {
            return in.get(0);
        }

        /** ZeRO-3's shard at rest of a weight (the whole weight on one GPU). */
        public Value param(Op.Param p) {
            Tensor global = weights.computeIfAbsent(p.forwardNode(), id -> globalWeight(p.forward(), id));
            return Layout.shard(global, sn.sharding(), mesh, shardRank(node));
        }

        public Value accumulate(Op.Accumulate a) {
            throw new Kernels.EvalError("an accumulation runs once per step, over every micro-batch");
        }

        public Value dropoutMask(Op.DropoutMask m) {
            int[] global = Tensor.of(sn.shape());
            int[] offsets = new int[global.length];
            for (int d = 0; d < global.length; d++) offsets[d] = Layout.offset(sn.sharding(), d, global[d], mesh, r);
            return Kernels.dropoutMask(m.p(), Tensor.of(sn.local()), global, offsets, Random.mix(dataSeed() ^ Random.mix(0xD50BL + sn.origin())));
        }

        public Value dropout(Op.Dropout d) {
            return Kernels.dropout(x(), dense(in.get(1)), d.p());
        }

        /** The backward kernel of the forward op that {@code g} differentiates, on this rank's shards. */
        public Value grad(Op.Grad g) {
            Op f = g.forward();
            if (f instanceof Op.Loss l) {
                return Backward.lossInput(x(), dense(in.get(1)), dense(in.get(2)), dense(in.get(3)), Math.toIntExact(l.vocab()), vocabOffset(sn, l.vocab(), r),
                        l.tokens());
            }
            Value dyv = in.get(g.reads().size());
            SpmdNode fwd = forwardOf(g.forwardNode());
            // Tokens bucketed by expert: the experts, their activations and products, the dispatch and the combine.
            if (f instanceof Op.ExpertLinear) {
                int offset = Layout.offset(WeightLayout.of(fwd, program), 0, (int) f.weight().dim(0), mesh, shardRank(node));
                if (g.ofWeight()) return Backward.expertWeight(buckets(in.get(0)), buckets(dyv), Tensor.of(sn.local()), offset);
                return Backward.expertInput(buckets(dyv), w(fwd), offset);
            }
            if (f instanceof Op.Unary u && in.get(0) instanceof Buckets b) return Backward.unary(u.fn(), b, buckets(dyv));
            if (f instanceof Op.Binary) return Semantics.binary(pdagc.ir.BinaryFn.MUL, dyv, in.get(0));
            if (f instanceof Op.Dispatch d) return Backward.dispatchInput(buckets(dyv), Tensor.of(sn.local()), tokenIds(sn, r), (int) d.top());
            if (f instanceof Op.Combine c) {
                if (g.wrt() == 0) return Backward.combineOutputs(x(), dense(dyv), (int) c.experts(), tokenIds(program.nodes().get(sn.inputs().get(0)), r));
                return Backward.combineGates(buckets(in.get(0)), dense(dyv), tokenIds(program.nodes().get(sn.inputs().get(1)), r), (int) c.top());
            }
            Tensor dy = dense(dyv);
            // A contraction's gradient is a contraction: its first input against the output's gradient or the weight.
            if (g.product() != null) return Kernels.einsum(g.product(), x(), g.ofWeight() ? dy : w(fwd));
            if (f instanceof Op.Norm n) {
                return g.ofWeight() ? Backward.normWeight(n.type(), x(), dy) : Backward.normInput(n.type(), x(), w(fwd), dy);
            }
            if (f instanceof Op.HeadNorm h) {
                int d = (int) h.headDim();
                return g.ofWeight() ? Backward.headNormWeight(h.type(), d, x(), dy) : Backward.headNormInput(h.type(), d, x(), w(fwd), dy);
            }
            if (f instanceof Op.Softmax) return Backward.softmax(x(), dy);
            if (f instanceof Op.Unary u) return Backward.unary(u.fn(), x(), dy);
            if (f instanceof Op.Bias) return Backward.bias(dy);
            if (f instanceof Op.Dropout d) return Kernels.dropout(dy, x(), d.p());
            if (f instanceof Op.Scale) return g.wrt() == 0 ? Kernels.scale(dy, x()) : Backward.scaleGate(x(), dy);
            if (f instanceof Op.LastToken) return Backward.lastToken(dy, Tensor.of(sn.local()));
            if (f instanceof Op.Router rt) {
                if (g.ofWeight()) return Backward.routerWeight(x(), dense(in.get(1)), dy, (int) rt.experts());
                return Backward.routerInput(x(), w(fwd), dy);
            }
            if (f instanceof Op.TiedHead t) return g.ofWeight() ? Backward.tiedTable(x(), dy) : Kernels.linear(dy, tied(t, fwd));
            if (f instanceof Op.PosEmbed) return Backward.positions(dy, Tensor.of(sn.local()), firstPosition(program.nodes().get(sn.inputs().get(0)), r));
            if (f instanceof Op.Embed e) {
                int offset = Layout.offset(sn.sharding(), 0, (int) e.vocab(), mesh, shardRank(node));
                return Backward.embedWeight(x(), dy, (int) sn.local().dim(0), offset);
            }
            if (f instanceof Op.MlaScores m) {
                List<Integer> q = fwd.inputs();
                int seq = mlaWhere(q.get(0), q.get(2), q.get(3), r).seqOffset();
                int nope = (int) m.nope(), rope = (int) m.rope();
                return switch (g.wrt()) {
                    case 0 -> Backward.mlaQueryNope(dy, x(), w(fwd), nope, rope, seq);
                    case 1 -> Backward.mlaQueryRope(dy, x(), nope, rope, seq);
                    case 2 -> Backward.mlaScoresLatent(x(), w(fwd), dy, nope, rope, seq, Tensor.of(sn.local()));
                    case 3 -> Backward.mlaKeyRope(dy, x(), nope, rope, seq);
                    default -> Backward.mlaKeyUp(x(), dense(in.get(1)), dy, nope, rope, seq);
                };
            }
            if (f instanceof Op.MlaContext) {
                if (g.ofWeight()) return Backward.mlaValueUp(x(), dense(in.get(1)), dy);
                // This rank's heads, as its probabilities hold them.
                int heads = (int) program.nodes().get(fwd.inputs().get(0)).local().dim(1);
                if (g.wrt() == 0) return Backward.mlaContextProbs(x(), w(fwd), dy, heads);
                return Backward.mlaContextLatent(x(), w(fwd), dy, Tensor.of(sn.local()));
            }
            SpmdNode first = program.nodes().get(sn.inputs().get(0));
            if (f instanceof Op.AttnScores a) {
                int d = (int) a.headDim();
                if (g.wrt() == 0) return Backward.scoresQuery(dy, x(), d, qWhere(a.heads(), a.kvHeads(), d, sn, first, r));
                return Backward.scoresKey(dy, x(), d, (int) sn.local().last(), qWhere(a.heads(), a.kvHeads(), d, first, sn, r));
            }
            if (f instanceof Op.AttnContext a) {
                int d = (int) a.headDim();
                if (g.wrt() == 0) return Backward.contextProbs(dy, x(), d, probsWhere(a.heads(), a.kvHeads(), d, sn, first, r));
                return Backward.contextValue(x(), dy, d, (int) sn.local().last(), probsWhere(a.heads(), a.kvHeads(), d, first, sn, r));
            }
            throw new Kernels.EvalError("no backward kernel for " + f.name());
        }
    }

    /** The first vocabulary column of the logits that node {@code sn} reads (its first input) on GPU {@code r}. */
    private int vocabOffset(SpmdNode sn, long vocab, int r) {
        Sharding logits = program.nodes().get(sn.inputs().get(0)).sharding();
        return Layout.offset(logits, logits.rank() - 1, Math.toIntExact(vocab), mesh, r);
    }

    private static Buckets buckets(Value v) {
        if (v instanceof Buckets b) return b;
        throw new Kernels.EvalError("expected tokens bucketed by expert, found " + v.describe());
    }

    /** The forward SPMD op of logical node {@code id} (not a collective that reshards its value). */
    private SpmdNode forwardOf(int id) {
        return forward.computeIfAbsent(id, k -> {
            for (SpmdNode n : program.nodes()) {
                if (n.origin() == k && !(n.op() instanceof Op.Collective || n.op() instanceof Op.Transfer || n.op() instanceof Op.Slice)) return n;
            }
            throw new Kernels.EvalError("no forward op for node %" + k);
        });
    }

    /** Attention offsets from a query-shaped value [b, s, heads·d] and a key/value-shaped one [b, t, kv·d]. */
    private Attention.Where qWhere(long heads, long kvHeads, int d, SpmdNode q, SpmdNode kv, int r) {
        int batch = Layout.offset(q.sharding(), 0, (int) q.shape().dim(0), mesh, r);
        int seq = Layout.offset(q.sharding(), 1, (int) q.shape().dim(1), mesh, r);
        int qHead = Layout.offset(q.sharding(), 2, (int) q.shape().dim(2), mesh, r) / d;
        int kvHead = Layout.offset(kv.sharding(), 2, (int) kv.shape().dim(2), mesh, r) / d;
        return new Attention.Where(seed, kv.origin(), batch, qHead, kvHead, (int) (heads / kvHeads), seq, context, false);
    }

    /** Attention offsets from a probabilities-shaped value [b, heads, s, t] and a key/value-shaped one. */
    private Attention.Where probsWhere(long heads, long kvHeads, int d, SpmdNode probs, SpmdNode kv, int r) {
        int batch = Layout.offset(probs.sharding(), 0, (int) probs.shape().dim(0), mesh, r);
        int qHead = Layout.offset(probs.sharding(), 1, (int) probs.shape().dim(1), mesh, r);
        int seq = Layout.offset(probs.sharding(), 2, (int) probs.shape().dim(2), mesh, r);
        int kvHead = Layout.offset(kv.sharding(), 2, (int) kv.shape().dim(2), mesh, r) / d;
        return new Attention.Where(seed, kv.origin(), batch, qHead, kvHead, (int) (heads / kvHeads), seq, context, false);
    }

    /** Offsets of a GPU's attention shard: batch, query heads, key/value heads and query positions. */
    private Attention.Where where(Op.AttnScores a, int qId, int kvId, int r) {
        return where(a.heads(), a.kvHeads(), a.headDim(), qId, kvId, r);
    }

    private Attention.Where where(Op.AttnContext a, int qId, int kvId, int r) {
        return where(a.heads(), a.kvHeads(), a.headDim(), qId, kvId, r);
    }

    private Attention.Where where(long heads, long kvHeads, long headDim, int qId, int kvId, int r) {
        SpmdNode q = program.nodes().get(qId);
        SpmdNode kv = program.nodes().get(kvId);
        int batchOffset = Layout.offset(q.sharding(), 0, (int) q.shape().dim(0), mesh, r);
        int seqOffset = Layout.offset(q.sharding(), 1, (int) q.shape().dim(1), mesh, r);
        int qHeadOffset = Layout.offset(q.sharding(), 2, (int) q.shape().dim(2), mesh, r) / (int) headDim;
        int kvHeadOffset = Layout.offset(kv.sharding(), 2, (int) kv.shape().dim(2), mesh, r) / (int) headDim;
        return new Attention.Where(dataSeed(), kv.origin(), batchOffset, qHeadOffset, kvHeadOffset, (int) (heads / kvHeads), seqOffset, context, decode);
    }

    /** This rank's block of the last dimension of a value computed whole, when the op's output splits it (a column-split norm). */
    private Tensor ownColumns(Tensor whole, SpmdNode sn, int r) {
        int last = sn.sharding().rank() - 1;
        List<String> cols = sn.sharding().axes(last);
        if (cols.isEmpty()) return whole;
        int len = whole.last() / mesh.size(cols);
        return whole.slice(last, Layout.block(cols, mesh, r) * len, len);
    }

    /** Offsets of a GPU's latent-attention shard and the values its cache entries belong to. */
    private Mla.Where mlaWhere(int qId, int latentId, int ropeId, int r) {
        SpmdNode q = program.nodes().get(qId);
        SpmdNode latent = program.nodes().get(latentId);
        int batchOffset = Layout.offset(latent.sharding(), 0, (int) latent.shape().dim(0), mesh, r);
        int seqOffset = Layout.offset(q.sharding(), 1, (int) q.shape().dim(1), mesh, r);
        return new Mla.Where(seed, latent.origin(), program.nodes().get(ropeId).origin(), batchOffset, seqOffset, context, decode);
    }

    /** The position of a GPU's first token: its sequence offset in prefill; the context's last position in decode. */
    private int firstPosition(SpmdNode tokens, int r) {
        int seqOffset = Layout.offset(tokens.sharding(), 1, (int) tokens.shape().dim(1), mesh, r);
        return decode ? context - (int) tokens.shape().dim(1) + seqOffset : seqOffset;
    }

    /** The embedding table a tied head shares, its vocabulary rows split as the head's output. */
    private Tensor tiedWeight(Op.TiedHead t, SpmdNode sn, DagNode node) {
        pdagc.ir.Node table = logical.tiedTable(t);
        if (table == null) throw new Kernels.EvalError("no embedding table for the tied head");
        Tensor global = weights.computeIfAbsent(table.id(), id -> globalWeight(table.op(), id));
        return Layout.shard(global, WeightLayout.tiedTable(sn.sharding()), mesh, shardRank(node));
    }

    private long[] tokenIds(SpmdNode tokens, int r) {
        int b = (int) tokens.local().dim(0);
        int s = (int) tokens.local().dim(1);
        int bOff = Layout.offset(tokens.sharding(), 0, (int) tokens.shape().dim(0), mesh, r);
        int sOff = Layout.offset(tokens.sharding(), 1, (int) tokens.shape().dim(1), mesh, r);
        return tokenIds(b, s, bOff, sOff, tokens.shape().dim(1));
    }

    /** Global ids of a shard's b x s tokens at batch offset {@code bOff} and position offset {@code sOff}: batch-major over all positions. */
    static long[] tokenIds(int b, int s, long bOff, long sOff, long sGlobal) {
        long[] ids = new long[b * s];
        for (int i = 0; i < b; i++) for (int j = 0; j < s; j++) ids[i * s + j] = (i + bOff) * sGlobal + j + sOff;
        return ids;
    }

    private Tensor tokens(SpmdNode input) {
        return tokens(Tensor.of(input.shape()), dataSeed(), vocab);
    }

    /** A micro-batch's global token ids: uniform over the vocabulary, from its data seed. */
    static Tensor tokens(int[] shape, long dataSeed, int vocab) {
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.data.length; i++) t.data[i] = Math.floorMod(Random.mix(dataSeed ^ (0x7F4A7C15L + i)), vocab);
        return t;
    }

    private int shardRank(DagNode node) {
        return shardOverride.getOrDefault(node.index(), node.gpu());
    }

    private Tensor weight(SpmdNode sn, DagNode node) {
        Tensor global = weights.computeIfAbsent(sn.origin(), id -> globalWeight(sn.op(), id));
        return Layout.shard(global, WeightLayout.of(sn, program), mesh, shardRank(node));
    }

    private Tensor globalWeight(Op op, int origin) {
        return globalWeight(op, origin, seed);
    }

    /** The whole weight of the logical node {@code origin}: uniform, scaled by fan-in (norm scales around 1). */
    static Tensor globalWeight(Op op, int origin, long seed) {
        int[] shape = Tensor.of(op.weight());
        long s = Random.mix(seed + 0x51ED27L * (origin + 1));
        if (op instanceof Op.Norm || op instanceof Op.HeadNorm) return Random.tensor(shape, s, 0.1, 1.0);
        if (op instanceof Op.Router) return Random.tensor(shape, s, 1.0, 0.0);
        int fanIn = fanIn(op, shape);
        return Random.tensor(shape, s, op instanceof Op.Embed ? 1.0 : 1.0 / Math.sqrt(fanIn), 0.0);
    }

    /** A contraction's weight is scaled by the size of its reduced factors; any other by its first dimension. */
    private static int fanIn(Op op, int[] shape) {
        pdagc.ir.Contraction c = op.contraction();
        if (c == null) return shape[0];
        String w = c.operand(1);
        int n = 1;
        for (int i = 0; i < w.length(); i++) if (c.reduced().indexOf(w.charAt(i)) >= 0) n *= shape[i];
        return n;
    }

    private Value collective(DagNode node, SpmdNode sn, Op.Collective c, Value[] values) {
        List<Integer> group = node.group();
        int me = group.indexOf(node.gpu());
        if (me < 0) throw new Kernels.EvalError("GPU " + node.gpu() + " is not in its own group " + group);
        int input = sn.inputs().get(0);
        List<Value> parts = new ArrayList<>();
        for (int peer : group) {
            int idx = at(peer, input);
            if (idx < 0 || values[idx] == null) throw new Kernels.EvalError("GPU " + peer + " has no input for " + c.name());
            parts.add(values[idx]);
        }
        return Collectives.run(c.collective(), c.reduction(), c.axes(), c.dim(), c.toDim(), parts, me);
    }

    private static Op op(SpmdNode n) {
        return n.op();
    }

    /** A send keeps its input; a recv takes what the send on its peer GPU holds for this micro-batch. */
    private Value transfer(DagNode node, SpmdNode sn, Op.Transfer t, Value[] values) {
        int input = sn.inputs().get(0);
        if (t.send()) {
            int idx = at(node.gpu(), input);
            if (idx < 0 || values[idx] == null) throw new Kernels.EvalError("send has no input on GPU " + node.gpu());
            return values[idx];
        }
        int peer = node.group().get(0) == node.gpu() ? node.group().get(1) : node.group().get(0);
        int idx = at(peer, input);
        if (idx < 0 || values[idx] == null) throw new Kernels.EvalError("recv finds no send on GPU " + peer);
        return values[idx];
    }

    static Tensor dense(Value v) {
        if (v instanceof Tensor t) return t;
        throw new Kernels.EvalError("expected a dense tensor, found " + v.describe());
    }
}
