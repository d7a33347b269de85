package pdagc.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The common refinement of a strategy mesh and an expert mesh over the same GPUs. */
class FoldingTest {

    static Mesh mesh(Object... nameSize) {
        List<Mesh.Axis> axes = new ArrayList<>();
        for (int i = 0; i < nameSize.length; i += 2) axes.add(new Mesh.Axis((String) nameSize[i], (Integer) nameSize[i + 1]));
        return new Mesh(axes);
    }

    @Test
    void deepSeekExpertsSpanTheWholeStage() {
        Folding.Result f = Folding.refine(mesh("dp", 80, "tp", 4), mesh("ep", 320)).orElseThrow();
        assertEquals(mesh("dp", 80, "tp", 4), f.factors());
        assertEquals(Map.of("dp", List.of("dp"), "tp", List.of("tp"), "ep", List.of("dp", "tp")), f.axes());
    }

    @Test
    void anAxisIsCutWhereTheOtherMeshHasABoundary() {
        // cp 8 is cut at 4 by the expert mesh's etp 4: cp = cp.0 x cp.1, ep = cp.0, etp = cp.1.
        Folding.Result f = Folding.refine(mesh("tp", 8, "cp", 8), mesh("edp", 8, "ep", 2, "etp", 4)).orElseThrow();
        assertEquals(mesh("tp", 8, "cp.0", 2, "cp.1", 4), f.factors());
        assertEquals(List.of("tp"), f.axes().get("tp"));
        assertEquals(List.of("cp.0", "cp.1"), f.axes().get("cp"));
        assertEquals(List.of("tp"), f.axes().get("edp"));
        assertEquals(List.of("cp.0"), f.axes().get("ep"));
        assertEquals(List.of("cp.1"), f.axes().get("etp"));
    }

    @Test
    void theReadmeExample() {
        // attention [dp 2, tp 4], experts [ep 4, etp 2]: tp = tp.0 x tp.1, etp = tp.1, ep = dp x tp.0.
        Folding.Result f = Folding.refine(mesh("dp", 2, "tp", 4), mesh("ep", 4, "etp", 2)).orElseThrow();
        assertEquals(mesh("dp", 2, "tp.0", 2, "tp.1", 2), f.factors());
        assertEquals(List.of("tp.0", "tp.1"), f.axes().get("tp"));
        assertEquals(List.of("dp", "tp.0"), f.axes().get("ep"));
        assertEquals(List.of("tp.1"), f.axes().get("etp"));
    }

    @Test
    void pipelineStagesStayOutsideTheExpertMesh() {
        Folding.Result f = Folding.refine(mesh("pp", 2, "dp", 2, "tp", 4), mesh("ep", 8)).orElseThrow();
        assertEquals(mesh("pp", 2, "dp", 2, "tp", 4), f.factors());
        assertEquals(List.of("pp"), f.axes().get("pp"));
        assertEquals(List.of("dp", "tp"), f.axes().get("ep"));
    }

    @Test
    void axesOfSizeOneHaveNoFactors() {
        Folding.Result f = Folding.refine(mesh("dp", 1, "tp", 4), mesh("ep", 2, "etp", 2)).orElseThrow();
        assertEquals(List.of(), f.axes().get("dp"));
        assertEquals(List.of("tp.0"), f.axes().get("ep"));
        assertEquals(List.of("tp.1"), f.axes().get("etp"));
    }

    @Test
    void aCutSplitsAnAxisAtAStride() {
        // tp 16 cut at stride 2 (8 key/value heads): tp.0 8 x tp.1 2.
        Folding.Result f = Folding.refine(mesh("pp", 2, "tp", 16), null, List.of(2L)).orElseThrow();
        assertEquals(mesh("pp", 2, "tp.0", 8, "tp.1", 2), f.factors());
        assertEquals(List.of("tp.0", "tp.1"), f.axes().get("tp"));
        assertEquals(List.of("pp"), f.axes().get("pp"));
        // without cuts or an expert mesh, the strategy's own axes
        assertEquals(mesh("dp", 2, "tp", 4), Folding.refine(mesh("dp", 2, "tp", 4), null, List.of()).orElseThrow().factors());
    }

    @Test
    void aCutInsideAFoldedFactorAndOneThatDoesNotNest() {
        // tp 8 folded by etp 4 into tp.0 2 x tp.1 4; a cut at 2 splits tp.1: etp = tp.1 x tp.2.
        Folding.Result f = Folding.refine(mesh("tp", 8), mesh("ep", 2, "etp", 4), List.of(2L)).orElseThrow();
        assertEquals(mesh("tp.0", 2, "tp.1", 2, "tp.2", 2), f.factors());
        assertEquals(List.of("tp.1", "tp.2"), f.axes().get("etp"));
        assertEquals(List.of("tp.0"), f.axes().get("ep"));
        // tp 12 cut at 3, then at 2: 2 does not nest with 3, and is left out.
        assertEquals(mesh("tp.0", 4, "tp.1", 3), Folding.refine(mesh("tp", 12), null, List.of(3L, 2L)).orElseThrow().factors());
    }

    @Test
    void meshesThatDoNotNestHaveNoRefinement() {
        // boundaries 4 (tp) and 6 (etp) do not divide each other.
        assertTrue(Folding.refine(mesh("dp", 3, "tp", 4), mesh("ep", 2, "etp", 6)).isEmpty());
        // a different number of GPUs.
        assertTrue(Folding.refine(mesh("dp", 2, "tp", 4), mesh("ep", 16)).isEmpty());
        // boundaries 2 and 3 inside 6.
        assertTrue(Folding.refine(mesh("dp", 3, "tp", 2), mesh("ep", 2, "etp", 3)).isEmpty());
    }
}
