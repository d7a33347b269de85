package pdagc.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static pdagc.partition.Shardings.mesh;

import java.util.List;
import org.junit.jupiter.api.Test;
import pdagc.mesh.MeshContext;

/** The mesh as the partitioner sees it: annotation axes resolved to factor axes, and the axes that split tokens. */
class MeshContextTest {

    @Test
    void aSingleMeshResolvesEveryAxisToItself() {
        MeshContext m = MeshContext.of(mesh("dp", 2, "ep", 2, "tp", 4));
        assertEquals(List.of("tp"), m.resolve("tp"));
        assertEquals(List.of("ep"), m.resolve("ep"));
        assertEquals(List.of("tp"), m.resolve("etp"), "without an expert mesh, etp means tp");
        assertEquals(List.of(), m.resolve("cp"), "an absent axis resolves to nothing");
        assertEquals(List.of("dp", "ep"), m.batchAxes(), "ep of the strategy mesh splits the batch");
        assertEquals(List.of(), m.contextAxes());
        assertEquals(List.of(), m.sequenceParallelAxes());
    }

    @Test
    void axesOfSizeOneResolveToNothing() {
        MeshContext m = MeshContext.of(mesh("dp", 1, "tp", 4));
        assertEquals(List.of(), m.resolve("dp"));
        assertEquals(List.of(), m.batchAxes());
        assertEquals(List.of("tp"), m.ordered(List.of("tp", "dp")), "ordered drops axes of size one");
    }

    @Test
    void contextAndSequenceParallelAxes() {
        MeshContext sp = MeshContext.of(mesh("dp", 2, "cp", 2, "tp", 2), null, true).orElseThrow();
        assertEquals(List.of("cp"), sp.contextAxes());
        assertEquals(List.of("tp"), sp.sequenceParallelAxes());
        assertEquals(List.of("dp"), sp.batchAxes());
        MeshContext noSp = MeshContext.of(mesh("dp", 2, "cp", 2, "tp", 2), null, false).orElseThrow();
        assertEquals(List.of(), noSp.sequenceParallelAxes());
    }

    @Test
    void aFoldedExpertMeshResolvesToFactors() {
        MeshContext m = MeshContext.of(mesh("dp", 80, "tp", 4), mesh("ep", 320), false).orElseThrow();
        assertEquals(mesh("dp", 80, "tp", 4), m.mesh());
        assertEquals(List.of("dp", "tp"), m.resolve("ep"));
        assertEquals(List.of("dp"), m.batchAxes(), "an expert-only ep does not split the attention batch");
        assertEquals(List.of(), m.resolve("etp"), "with an expert mesh, etp is only what it names");

        MeshContext cp = MeshContext.of(mesh("tp", 8, "cp", 8), mesh("edp", 8, "ep", 2, "etp", 4), true).orElseThrow();
        assertEquals(List.of("cp.0", "cp.1"), cp.contextAxes());
        assertEquals(List.of("tp"), cp.sequenceParallelAxes());
        assertEquals(List.of(), cp.batchAxes(), "edp and ep are expert-only axes here");
        assertEquals(List.of("cp.0"), cp.resolve("ep"));
        assertEquals(List.of("cp.1"), cp.resolve("etp"));
    }

    @Test
    void expertMeshesThatDoNotFoldTheSameGpusAreRefused() {
        assertTrue(MeshContext.of(mesh("dp", 3, "tp", 4), mesh("ep", 2, "etp", 6), false).isEmpty());
    }

    @Test
    void majorFactorsAndCuts() {
        // Llama-2-70B's 8 key/value heads under tp 16: tp cut into tp.0 8 x tp.1 2, the heads over tp.0.
        MeshContext tp16 = MeshContext.of(mesh("dp", 2, "tp", 16));
        assertEquals(List.of(), tp16.majorFactors(List.of("tp"), 8), "tp whole: no factor of 16 ways divides 8");
        MeshContext cut = tp16.splitMajor(tp16.resolve("tp"), 8);
        assertEquals(mesh("dp", 2, "tp.0", 8, "tp.1", 2), cut.mesh());
        assertEquals(List.of("tp.0", "tp.1"), cut.resolve("tp"));
        assertEquals(List.of("tp.0", "tp.1"), cut.resolve("etp"), "etp still means tp");
        assertEquals(List.of("tp.0"), cut.majorFactors(cut.resolve("tp"), 8));
        assertEquals(List.of("tp.0", "tp.1"), cut.majorFactors(cut.resolve("tp"), 64), "the query heads: all of tp");
        assertEquals(List.of(), cut.majorFactors(cut.resolve("tp"), 1), "MQA: replicated");
        assertEquals(List.of("dp"), cut.batchAxes());
        assertSame(cut, cut.splitMajor(cut.resolve("tp"), 8), "already cut");
        assertSame(tp16, tp16.splitMajor(tp16.resolve("tp"), 16), "tp divides: nothing to cut");
        assertSame(tp16, tp16.splitMajor(tp16.resolve("tp"), 3), "nothing in common: replicated, nothing to cut");
        // a cut ep of the strategy mesh still splits the batch
        MeshContext ep = MeshContext.of(mesh("ep", 4, "tp", 2)).splitMajor(List.of("ep"), 2);
        assertEquals(List.of("ep.0", "ep.1"), ep.batchAxes());
        assertTrue(ep.oneAxis(List.of("ep.0", "ep.1")));
        assertTrue(!ep.oneAxis(List.of("ep.1", "tp")));
    }

    @Test
    void majorFactorsOverTwoMeshAxes() {
        // ep = dp x tp (the expert mesh folds both), 4 key/value heads over its 8 ways: dp and tp's major half.
        MeshContext m = MeshContext.of(mesh("dp", 2, "tp", 4), mesh("ep", 8), false).orElseThrow();
        MeshContext cut = m.splitMajor(m.resolve("ep"), 4);
        assertEquals(mesh("dp", 2, "tp.0", 2, "tp.1", 2), cut.mesh());
        assertEquals(List.of("dp", "tp.0", "tp.1"), cut.resolve("ep"));
        assertEquals(List.of("dp", "tp.0"), cut.majorFactors(cut.resolve("ep"), 4));
    }

    @Test
    void orderedFollowsTheMeshNotTheArgument() {
        MeshContext m = MeshContext.of(mesh("dp", 2, "cp", 2, "tp", 2));
        assertEquals(List.of("dp", "cp", "tp"), m.ordered(List.of("tp", "cp", "dp", "nope")));
        assertEquals(List.of("dp", "tp"), m.union(List.of("tp"), List.of("dp")));
        assertEquals(List.of("cp", "tp"), m.with(List.of("tp"), "cp"));
        assertEquals(List.of("dp", "tp"), m.without(List.of("dp", "cp", "tp"), "cp"));
    }
}
