package pdagc.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The factor specs that contraction ops derive their FLOPs and weight layouts from. */
class ContractionTest {

    @Test
    void aLinearReducesItsInputWidth() {
        assertEquals("k", Contraction.LINEAR.reduced());
        assertEquals("k", Contraction.EXPERT_LINEAR.reduced());
        assertEquals("jk", Contraction.parse("ijk,jkl->il").reduced());
    }

    @Test
    void annotationsSplitFactorsByTheirRole() {
        assertEquals('n', Contraction.LINEAR.columnFactor());
        assertEquals(0, Contraction.LINEAR.sharedFactor());
        assertEquals('n', Contraction.EXPERT_LINEAR.columnFactor());
        assertEquals('e', Contraction.EXPERT_LINEAR.sharedFactor());
        assertEquals("bsk", Contraction.LINEAR.activation());
        assertEquals("ecn", Contraction.EXPERT_LINEAR.result());
    }

    @Test
    void flopsAreTwoPerPointOfTheIterationSpace() {
        // [2, 3, 8] @ [8, 5]: 2 * 2 * 3 * 8 * 5
        assertEquals(480, Contraction.LINEAR.flops(new Shape(2, 3, 8), new Shape(2, 3, 5)));
        // 4 experts, buckets of 6, 8 -> 5
        assertEquals(2L * 4 * 6 * 8 * 5, Contraction.EXPERT_LINEAR.flops(new Shape(4, 6, 8), new Shape(4, 6, 5)));
    }

    @Test
    void theWeightIsSplitAsItsFactorsAre() {
        List<List<String>> none = List.of(List.of(), List.of(), List.of());
        // column-parallel: n split over tp in the result
        assertEquals(List.of(List.of(), List.of("tp")),
                Contraction.LINEAR.operandAxes(1, List.of(List.of("dp"), List.of(), List.of()), List.of(List.of("dp"), List.of(), List.of("tp"))));
        // row-parallel: k split over tp in the input
        assertEquals(List.of(List.of("tp"), List.of()),
                Contraction.LINEAR.operandAxes(1, List.of(List.of(), List.of("cp"), List.of("tp")), List.of(List.of(), List.of("cp"), List.of())));
        // experts over ep (the result's first dimension), columns over etp
        assertEquals(List.of(List.of("ep"), List.of(), List.of("tp")),
                Contraction.EXPERT_LINEAR.operandAxes(1, none, List.of(List.of("ep"), List.of(), List.of("tp"))));
    }

    @Test
    void specsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> Contraction.parse("ab,bc"));
        assertThrows(IllegalArgumentException.class, () -> Contraction.parse("ab,bc->ad"));
        assertThrows(IllegalArgumentException.class, () -> Contraction.LINEAR.flops(new Shape(2, 8), new Shape(2, 5)));
    }
}
