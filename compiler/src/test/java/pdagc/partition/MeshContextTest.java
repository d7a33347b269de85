package pdagc.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
    void orderedFollowsTheMeshNotTheArgument() {
        MeshContext m = MeshContext.of(mesh("dp", 2, "cp", 2, "tp", 2));
        assertEquals(List.of("dp", "cp", "tp"), m.ordered(List.of("tp", "cp", "dp", "nope")));
        assertEquals(List.of("dp", "tp"), m.union(List.of("tp"), List.of("dp")));
        assertEquals(List.of("cp", "tp"), m.with(List.of("tp"), "cp"));
        assertEquals(List.of("dp", "tp"), m.without(List.of("dp", "cp", "tp"), "cp"));
    }
}
