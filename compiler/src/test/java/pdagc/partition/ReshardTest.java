package pdagc.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.fail;
import static pdagc.partition.Shardings.mesh;
import static pdagc.partition.Shardings.s;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import pdagc.mesh.Mesh;
import pdagc.mesh.MeshContext;
import pdagc.mesh.Sharding;

/**
 * The reshard planner's table, move by move (as MLIR's mesh partitioning names its moves in
 * Partition.cpp), each with an example; every example's steps are also run on concrete data. Then
 * a property: over random meshes and random pairs of shardings, the planned steps, executed on
 * concrete blocks, leave every rank with exactly the block the target prescribes.
 */
class ReshardTest {

    /** A move, its mesh, from, to, and the steps expected (op[attributes] -> sharding after). */
    static Stream<Arguments> moves() {
        Mesh tp4 = mesh("tp", 4);
        Mesh dpTp = mesh("dp", 2, "tp", 2);
        Mesh tpCp = mesh("tp", 2, "cp", 2);
        Mesh dpTpCp = mesh("dp", 2, "tp", 2, "cp", 2);
        return Stream.of(
                // partial -> all-reduce: a row-parallel output read whole.
                Arguments.of("partial to all-reduce", dpTp, "{dp,_,_} partial(tp)", "{dp,_,_}",
                        List.of("all_reduce[axes=tp] -> {dp,_,_}")),
                Arguments.of("partial over two axes to one all-reduce", dpTp, "{_,_} partial(dp+tp)", "{_,_}",
                        List.of("all_reduce[axes=dp+tp] -> {_,_}")),
                Arguments.of("a partial sum the target keeps is left alone", dpTp, "{_,_} partial(dp+tp)", "{_,_} partial(dp)",
                        List.of("all_reduce[axes=tp] -> {_,_} partial(dp)")),
                // partial -> reduce-scatter: the target splits a dimension over that axis, as its minor-most axis.
                Arguments.of("partial to reduce-scatter (sequence parallelism)", tp4, "{_,_,_} partial(tp)", "{_,tp,_}",
                        List.of("reduce_scatter[axes=tp, dim=1] -> {_,tp,_}")),
                Arguments.of("reduce-scatter onto a dimension already split by a major axis", dpTp, "{dp,_,_} partial(tp)", "{dp+tp,_,_}",
                        List.of("reduce_scatter[axes=tp, dim=0] -> {dp+tp,_,_}")),
                Arguments.of("a partial sum over two axes scattered over both in one reduce-scatter (a ZeRO shard over dp+cp)", mesh("dp", 2, "cp", 2),
                        "{_,_} partial(dp+cp)", "{dp+cp,_}", List.of("reduce_scatter[axes=dp+cp, dim=0] -> {dp+cp,_}")),
                Arguments.of("scattered over two axes onto a dimension a third splits", dpTpCp, "{tp,_} partial(dp+cp)", "{tp+cp,dp}",
                        null),
                Arguments.of("scattered over the axes the target adds, the one it keeps partial left alone", dpTpCp, "{tp,_} partial(dp+cp)",
                        "{tp+cp,_} partial(dp)", List.of("reduce_scatter[axes=cp, dim=0] -> {tp+cp,_} partial(dp)")),
                Arguments.of("partial whose axis the target splits as a major axis: all-reduce, then free the minor and slice", tpCp,
                        "{_,cp,_} partial(tp)", "{_,tp+cp,_}",
                        List.of("all_reduce[axes=tp] -> {_,cp,_}", "all_gather[axes=cp, dim=1] -> {_,_,_}", "slice[axes=tp, dim=1] -> {_,tp,_}",
                                "slice[axes=cp, dim=1] -> {_,tp+cp,_}")),
                // split removed -> all-gather, minor axes first.
                Arguments.of("split removed to all-gather", tp4, "{_,tp,_}", "{_,_,_}", List.of("all_gather[axes=tp, dim=1] -> {_,_,_}")),
                Arguments.of("two splits of one dimension removed: the minor one first", dpTp, "{dp+tp,_}", "{_,_}",
                        List.of("all_gather[axes=tp, dim=0] -> {dp,_}", "all_gather[axes=dp, dim=0] -> {_,_}")),
                Arguments.of("three splits of one dimension removed: minor to major", dpTpCp, "{dp+tp+cp,_}", "{_,_}",
                        List.of("all_gather[axes=cp, dim=0] -> {dp+tp,_}", "all_gather[axes=tp, dim=0] -> {dp,_}", "all_gather[axes=dp, dim=0] -> {_,_}")),
                Arguments.of("a major split removed, the minor kept: gather both, slice the minor again", dpTp, "{dp+tp,_}", "{tp,_}",
                        List.of("all_gather[axes=tp, dim=0] -> {dp,_}", "all_gather[axes=dp, dim=0] -> {_,_}", "slice[axes=tp, dim=0] -> {tp,_}")),
                // split moved -> all-to-all.
                Arguments.of("split moved between dimensions to all-to-all", tp4, "{_,tp,_}", "{_,_,tp}",
                        List.of("all_to_all[axes=tp, split=2, concat=1] -> {_,_,tp}")),
                Arguments.of("expert dispatch: tokens to experts in one all-to-all", mesh("ep", 4), "{_,ep,_}", "{ep,_,_}",
                        List.of("all_to_all[axes=ep, split=0, concat=1] -> {ep,_,_}")),
                Arguments.of("fused multi-axis all-to-all: two axes move together", dpTp, "{_,dp+tp,_}", "{dp+tp,_,_}",
                        List.of("all_to_all[axes=dp+tp, split=0, concat=1] -> {dp+tp,_,_}")),
                Arguments.of("fused all-to-all after slicing the tokens tp ranks share (DeepSeek dispatch)", dpTp, "{_,dp,_}", "{dp+tp,_,_}",
                        List.of("slice[axes=tp, dim=1] -> {_,dp+tp,_}", "all_to_all[axes=dp+tp, split=0, concat=1] -> {dp+tp,_,_}")),
                Arguments.of("fused all-to-all back, a gathered axis travelling along (combine)", dpTp, "{dp+tp,_,_}", "{_,dp,_}",
                        List.of("all_to_all[axes=dp+tp, split=1, concat=0] -> {_,dp+tp,_}", "all_gather[axes=tp, dim=1] -> {_,dp,_}")),
                // new split -> local slice.
                Arguments.of("new split to a local slice", tp4, "{_,_}", "{tp,_}", List.of("slice[axes=tp, dim=0] -> {tp,_}")),
                Arguments.of("a new minor split of a split dimension is a slice", dpTp, "{dp,_}", "{dp+tp,_}", List.of("slice[axes=tp, dim=0] -> {dp+tp,_}")),
                // a split added as a non-minor axis: the minor axes are gathered first, then sliced again (freeMinor).
                Arguments.of("non-minor split added: all-gather the minor, slice major then minor", tpCp, "{_,cp,_}", "{_,tp+cp,_}",
                        List.of("all_gather[axes=cp, dim=1] -> {_,_,_}", "slice[axes=tp, dim=1] -> {_,tp,_}", "slice[axes=cp, dim=1] -> {_,tp+cp,_}")),
                Arguments.of("non-minor split moved in: gather the minor, all-to-all, slice the minor again", tpCp, "{_,cp,tp}", "{_,tp+cp,_}",
                        List.of("all_gather[axes=cp, dim=1] -> {_,_,tp}", "all_to_all[axes=tp, split=1, concat=2] -> {_,tp,_}",
                                "slice[axes=cp, dim=1] -> {_,tp+cp,_}")),
                // combinations over several axes.
                Arguments.of("reduce, move and gather at once", dpTpCp, "{dp,cp,_} partial(tp)", "{dp,_,cp}",
                        List.of("all_reduce[axes=tp] -> {dp,cp,_}", "all_to_all[axes=cp, split=2, concat=1] -> {dp,_,cp}")),
                Arguments.of("sequence parallel to column input and back over cp and tp", dpTpCp, "{dp,tp+cp,_}", "{dp,cp,_}",
                        List.of("all_gather[axes=cp, dim=1] -> {dp,tp,_}", "all_gather[axes=tp, dim=1] -> {dp,_,_}", "slice[axes=cp, dim=1] -> {dp,cp,_}")),
                Arguments.of("a row-parallel partial reduce-scattered onto a cp-split sequence", dpTpCp, "{dp,_,_} partial(tp)", "{dp,tp,_}",
                        List.of("reduce_scatter[axes=tp, dim=1] -> {dp,tp,_}")),
                Arguments.of("everything moves", dpTpCp, "{dp,tp,cp} partial()", "{cp,dp,tp}", null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("moves")
    void eachMove(String name, Mesh m, String from, String to, List<String> expected) {
        MeshContext mesh = MeshContext.of(m);
        Sharding a = s(from.replace(" partial()", ""));
        Sharding b = s(to);
        List<Reshard.Step> steps = Reshard.plan(a, b, mesh);
        if (expected != null) assertEquals(expected, render(steps), name);
        assertEquals(b, steps.isEmpty() ? a : steps.get(steps.size() - 1).after());
        assertNull(run(a, b, m, steps, shapeFor(m, a.rank()), 1), name);
    }

    /**
     * Moves over the factors of one axis: tp 4 cut into tp.0 2 x tp.1 2 (as grouped key/value
     * heads cut it) moves in one collective over tp where it moves whole, as without the cut;
     * factors of different axes stay apart.
     */
    static Stream<Arguments> movesOverFactors() {
        return Stream.of(
                Arguments.of("a split over both factors gathered at once", "{dp,tp.0+tp.1,_}", "{dp,_,_}",
                        List.of("all_gather[axes=tp.0+tp.1, dim=1] -> {dp,_,_}")),
                Arguments.of("a partial sum reduce-scattered over both factors", "{dp,_,_} partial(tp.0+tp.1)", "{dp,tp.0+tp.1,_}",
                        List.of("reduce_scatter[axes=tp.0+tp.1, dim=1] -> {dp,tp.0+tp.1,_}")),
                Arguments.of("a new split over both factors is one slice", "{dp,_,_}", "{dp,tp.0+tp.1,_}",
                        List.of("slice[axes=tp.0+tp.1, dim=1] -> {dp,tp.0+tp.1,_}")),
                Arguments.of("keys and values split over the major factor, gathered", "{dp,_,tp.0}", "{dp,_,_}",
                        List.of("all_gather[axes=tp.0, dim=2] -> {dp,_,_}")),
                Arguments.of("the minor factor gathered, the major kept", "{dp,_,tp.0+tp.1}", "{dp,_,tp.0}",
                        List.of("all_gather[axes=tp.1, dim=2] -> {dp,_,tp.0}")),
                Arguments.of("factors of different axes stay apart", "{dp+tp.0+tp.1,_}", "{_,_}",
                        List.of("all_gather[axes=tp.0+tp.1, dim=0] -> {dp,_}", "all_gather[axes=dp, dim=0] -> {_,_}")),
                Arguments.of("a partial sum over two axes scattered over one, reduced over the other", "{_,_} partial(dp+tp.0+tp.1)", "{tp.0+tp.1,_}",
                        List.of("reduce_scatter[axes=tp.0+tp.1, dim=0] -> {tp.0+tp.1,_} partial(dp)", "all_reduce[axes=dp] -> {tp.0+tp.1,_}")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("movesOverFactors")
    void eachMoveOverFactors(String name, String from, String to, List<String> expected) {
        MeshContext mesh = MeshContext.of(mesh("dp", 2, "tp", 4)).splitMajor(List.of("tp"), 2);
        assertEquals(mesh("dp", 2, "tp.0", 2, "tp.1", 2), mesh.mesh());
        Sharding a = s(from);
        Sharding b = s(to);
        List<Reshard.Step> steps = Reshard.plan(a, b, mesh);
        assertEquals(expected, render(steps), name);
        assertNull(run(a, b, mesh.mesh(), steps, shapeFor(mesh.mesh(), a.rank()), 1), name);
    }

    /** The property of {@link #everyPlanTransformsTheBlocks} on meshes with an axis cut into factors (sizes 4 and 6). */
    @Test
    void everyPlanOverCutAxesTransformsTheBlocks() {
        Random random = new Random(20250101L);
        String[] names = {"dp", "ep", "cp", "tp"};
        int cases = 0;
        while (cases < 1500) {
            List<String> pick = new ArrayList<>(List.of(names));
            java.util.Collections.shuffle(pick, random);
            int axes = 1 + random.nextInt(3);
            List<Object> spec = new ArrayList<>();
            int gpus = 1;
            for (int i = 0; i < axes; i++) {
                int size = i == 0 ? (random.nextBoolean() ? 4 : 6) : random.nextInt(3) == 0 ? 3 : 2;
                spec.add(pick.get(i));
                spec.add(size);
                gpus *= size;
            }
            if (gpus > 48) continue;
            Mesh strategy = mesh(spec.toArray());
            String cut = pick.get(0);
            MeshContext ctx = MeshContext.of(strategy).splitMajor(List.of(cut), random.nextBoolean() ? 2 : strategy.size(cut) / 2);
            Mesh m = ctx.mesh();
            if (m.axes().size() == strategy.axes().size()) fail("no cut in " + strategy);
            int rank = 1 + random.nextInt(3);
            Sharding from = random(m, rank, random, null);
            Sharding to = random(m, rank, random, from.partial());
            cases++;
            List<Reshard.Step> plan = Reshard.plan(from, to, ctx);
            String problem = run(from, to, m, plan, shapeFor(m, rank), cases);
            if (problem != null) fail("mesh " + m + ", " + from + " -> " + to + ": " + render(plan) + "\n" + problem);
        }
    }

    @Test
    void nothingToDoIsNoStep() {
        assertEquals(List.of(), Reshard.plan(s("{dp,_,tp}"), s("{dp,_,tp}"), MeshContext.of(mesh("dp", 2, "tp", 2))));
    }

    /**
     * The property: random meshes of 1 to 4 axes (sizes 2 and 3), random shardings of tensors of
     * rank 1 to 4, partial sums over any unused axes; the target keeps a subset of the partial
     * axes. Every plan the planner gives must transform the blocks exactly, and each step's
     * recorded sharding must be what the blocks then hold.
     */
    @Test
    void everyPlanTransformsTheBlocks() {
        Random random = new Random(20240611L);
        String[] names = {"dp", "ep", "pp", "cp", "tp", "tp.1"};
        int cases = 0;
        int steps = 0;
        List<String> unsupported = new ArrayList<>();
        while (cases < 3000) {
            List<String> pick = new ArrayList<>(List.of(names));
            java.util.Collections.shuffle(pick, random);
            int axes = 1 + random.nextInt(4);
            List<Object> spec = new ArrayList<>();
            int gpus = 1;
            for (int i = 0; i < axes; i++) {
                int size = random.nextInt(4) == 0 ? 3 : 2;
                spec.add(pick.get(i));
                spec.add(size);
                gpus *= size;
            }
            if (gpus > 24) continue;
            Mesh m = mesh(spec.toArray());
            int rank = 1 + random.nextInt(gpus <= 8 ? 4 : 3);
            Sharding from = random(m, rank, random, null);
            Sharding to = random(m, rank, random, from.partial());
            cases++;
            List<Reshard.Step> plan;
            try {
                plan = Reshard.plan(from, to, MeshContext.of(m));
            } catch (Reshard.UnsupportedReshard e) {
                unsupported.add(m + " " + e.getMessage());
                continue;
            }
            steps += plan.size();
            String problem = run(from, to, m, plan, shapeFor(m, rank), cases);
            if (problem != null) fail("mesh " + m + ", " + from + " -> " + to + ": " + render(plan) + "\n" + problem);
        }
        assertEquals(List.of(), unsupported.subList(0, Math.min(10, unsupported.size())), unsupported.size() + " unsupported");
        assertEquals(true, steps > 3 * cases / 2, "too few steps: the generator is too tame (" + steps + " for " + cases + ")");
    }

    /** A random sharding: each axis splits one dimension, is a partial-sum axis (of those allowed), or is unused. */
    static Sharding random(Mesh m, int rank, Random random, List<String> partialAllowed) {
        List<List<String>> dims = new ArrayList<>();
        for (int d = 0; d < rank; d++) dims.add(new ArrayList<>());
        List<String> partial = new ArrayList<>();
        for (Mesh.Axis a : m.axes()) {
            int pick = random.nextInt(rank + 2);
            if (pick < rank) dims.get(pick).add(a.name());
            else if (pick == rank && (partialAllowed == null || partialAllowed.contains(a.name()))) partial.add(a.name());
        }
        return new Sharding(dims, partial);
    }

    /** Every dimension divisible by every product of the mesh's axes. */
    static int[] shapeFor(Mesh m, int rank) {
        int[] shape = new int[rank];
        java.util.Arrays.fill(shape, m.size());
        return shape;
    }

    /** Runs the steps on concrete blocks; null when every step leaves what its sharding says and the end is {@code to}. */
    static String run(Sharding from, Sharding to, Mesh m, List<Reshard.Step> plan, int[] shape, long seed) {
        ReshardSim.T global = ReshardSim.global(shape);
        ReshardSim.T[] blocks = ReshardSim.place(global, from, m, seed);
        String problem = ReshardSim.mismatch(global, from, m, blocks);
        if (problem != null) return "the simulator's own placement: " + problem;
        for (int i = 0; i < plan.size(); i++) {
            Reshard.Step step = plan.get(i);
            try {
                blocks = ReshardSim.apply(step.op(), blocks, m);
            } catch (IllegalStateException e) {
                return "step " + i + " (" + render(List.of(step)) + ") cannot run: " + e.getMessage();
            }
            problem = ReshardSim.mismatch(global, step.after(), m, blocks);
            if (problem != null) return "after step " + i + " (" + render(List.of(step)) + "): " + problem;
        }
        return ReshardSim.mismatch(global, to, m, blocks);
    }

    static List<String> render(List<Reshard.Step> steps) {
        List<String> out = new ArrayList<>();
        for (Reshard.Step s : steps) {
            String attrs = s.op().attributes();
            out.add(s.op().name() + (attrs.isEmpty() ? "" : "[" + attrs + "]") + " -> " + s.after());
        }
        return out;
    }
}
