package pdagc.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import pdagc.dag.DagNode;
import pdagc.driver.Compile;
import pdagc.driver.MaterializedPlan;
import pdagc.ir.DType;
import pdagc.ir.Op;
import pdagc.sem.ClusterSpec;
import pdagc.sem.GpuSpec;

/**
 * The L40S of {@code std.hardware}: a GPU without NVLink, whose GPUs talk over PCIe, timed from its
 * own kernel microbenchmarks (it does not borrow the H100's: another chip) and, for collectives,
 * from a pair's measurements over its PCIe link.
 */
class PcieGpuTest {
    static final String DEPLOY = """
            import std.hardware
            import std.models.llama_3_8b
            cluster C { gpu L40S  count 4 }
            workload W { batch 4  seq 512  dtype fp8 }
            strategy S { mesh [tp 4] }
            deploy D = Llama_3_8b on C with S for W
            """;

    @Test
    void theL40sIsItsDataSheet() {
        MaterializedPlan p = Compile.source(DEPLOY);
        GpuSpec g = p.deployment().cluster().gpu();
        assertEquals("L40S", g.name());
        assertEquals(362.05e12, g.peakFlops(DType.BF16), 1);
        assertEquals(733e12, g.peakFlops(DType.FP8), 1);
        assertEquals(91.6e12, g.peakFlops(DType.FP32), 1);
        assertEquals(142, g.multiprocessors());
        assertEquals(48e9, g.memoryBytes(), 1);
        assertEquals(864e9, g.hbmBandwidth(), 1);
        assertFalse(g.hasNvlink());
        assertEquals(0, g.nvlinkBandwidth());
        assertEquals(64e9, g.pcieBandwidth(), 1);
        assertEquals(g, g.measured(), "no `measurements`: it borrows no other kind's");
    }

    /**
     * Its collectives run over PCIe at the rate a pair of L40S measured (nccl-tests in
     * {@code stdlib/calibration/collectives.csv}), each ring link as fast as the pair's: a group of
     * n takes the pair's time for the buffer times f(n)/f(2). The pair's 16 MiB all-reduce took
     * 850.4 us (about 19.7 GB/s, not the 32 GB/s per direction of the data sheet's link), so four
     * GPUs' take 850.4 x 1.5 us.
     */
    @Test
    void itsCollectivesRunOverPcieAtThePairsMeasuredRate() {
        MaterializedPlan p = Compile.source(DEPLOY);
        ClusterSpec c = p.deployment().cluster();
        assertEquals(CollectiveCost.Link.PCIE, CollectiveCost.nodeLink(c));
        assertEquals(32e9, CollectiveCost.bandwidth(CollectiveCost.Link.PCIE, c), 1);
        assertEquals(850.4e-6 * 1.5, CollectiveCost.overPcie(pdagc.ir.CollectiveKind.ALL_REDUCE, 4, 16L << 20, c).getAsDouble(), 1e-12);
        assertEquals(850.4e-6, CollectiveCost.overPcie(pdagc.ir.CollectiveKind.ALL_REDUCE, 2, 16L << 20, c).getAsDouble(), 1e-12);
        List<CollectiveCost> collectives = collectives(p);
        for (CollectiveCost cc : collectives) {
            assertEquals(CollectiveCost.Link.PCIE, cc.link());
            double pair = Calibration.of("L40S").collectiveSeconds(cc.kind(), 2, cc.bufferBytes()).getAsDouble();
            assertEquals(pair * cc.kind().volumeFactor(4) / cc.kind().volumeFactor(2), cc.seconds(), 1e-15, cc.toString());
            assertTrue(cc.seconds() > c.nvlinkLatency() + cc.trafficBytes() / 32e9, cc + ": slower than the data sheet's link");
        }
        assertTrue(!collectives.isEmpty());
        String report = pdagc.backend.ReportBackend.render(p.deployment(), p.dag(), p.analysis());
        assertTrue(report.contains("PCIe 32.00 GB/s per direction (64.00 GB/s both, no NVLink)"), report.lines().limit(6).toList().toString());
    }

    /** A GPU kind without NVLink and without collective measurements: the alpha-beta formula over half its PCIe figure. */
    @Test
    void aPcieGpuWithoutMeasurementsTakesTheFormula() {
        MaterializedPlan p = Compile.source(DEPLOY.replace("cluster C { gpu L40S", """
                gpu P { compute 362.05 TFLOP/s  memory 48 GB  bandwidth 864 GB/s  pcie 64 GB/s }
                cluster C { gpu P"""));
        ClusterSpec c = p.deployment().cluster();
        List<CollectiveCost> collectives = collectives(p);
        for (CollectiveCost cc : collectives) {
            assertEquals(c.nvlinkLatency() + cc.trafficBytes() / 32e9, cc.seconds(), 1e-15, cc + ": alpha-beta, no measurements");
        }
        assertTrue(!collectives.isEmpty());
    }

    /** The plan's collectives over more than one GPU. */
    private static List<CollectiveCost> collectives(MaterializedPlan p) {
        List<CollectiveCost> out = new java.util.ArrayList<>();
        for (DagNode n : p.dag().nodes()) {
            CollectiveCost cc = p.analysis().nodes().collective(n.index());
            if (cc != null && cc.members() >= 2) out.add(cc);
        }
        return out;
    }

    /**
     * Its kernels are timed from its own microbenchmarks (not another chip's): a product of a
     * measured shape runs at exactly the efficiency measured for it on the L40S. Of its collectives
     * only a pair's are measured: the 4- and 8-GPU rows of the same node are not used.
     */
    @Test
    void itsKernelsAreTimedFromItsOwnMeasurementsNotFromAnotherChips() {
        MaterializedPlan p = Compile.source(DEPLOY);
        GpuSpec l40s = p.deployment().cluster().gpu();
        java.util.OptionalDouble own = Calibration.of("L40S").gemmEfficiency(512, 4096, 4096, l40s, DType.FP8);
        java.util.OptionalDouble h100s = Calibration.of("H100").gemmEfficiency(512, 4096, 4096, l40s, DType.FP8);
        assertTrue(own.isPresent() && h100s.isPresent());
        assertTrue(Math.abs(own.getAsDouble() - h100s.getAsDouble()) > 0.05, own + " " + h100s);
        double measured = l40sRow("fp8", 512, 4096, 4096);
        assertEquals(Calibration.gemmRoofline(512, 4096, 4096, l40s, DType.FP8) / measured, own.getAsDouble(), 1e-9);
        assertTrue(Calibration.of("L40S").attentionEfficiency(true, 4, 512, 512, 32, 8, 128, l40s, DType.FP8).isPresent());
        assertTrue(Calibration.of("L40S").collectiveSeconds(pdagc.ir.CollectiveKind.ALL_REDUCE, 4, 1 << 20).isEmpty());
    }

    /** The measured seconds of an L40S product in {@code stdlib/calibration/gemm.csv}. */
    private static double l40sRow(String dtype, long m, long n, long k) {
        try {
            for (String line : java.nio.file.Files.readAllLines(pdagc.Repo.file("stdlib/calibration/gemm.csv"))) {
                String[] f = line.split(",");
                if (f[0].equals("L40S") && f[1].equals(dtype) && f[2].equals("" + m) && f[3].equals("" + n) && f[4].equals("" + k)) return Double.parseDouble(f[5]) * 1e-6;
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        throw new AssertionError("no L40S row " + dtype + " " + m + "x" + n + "x" + k);
    }

    /** A kind without microbenchmarks (the B200): every matrix product's time is the data-sheet rule (waves of tiles or HBM) plus the kernel overhead. */
    @Test
    void aKindWithoutMeasurementsIsTimedFromItsDataSheet() {
        assertTrue(Calibration.of("B200").gemmEfficiency(512, 4096, 4096, h100(), DType.FP8).isEmpty());
        assertTrue(Calibration.of("B200").attentionEfficiency(true, 4, 512, 512, 32, 8, 128, h100(), DType.FP8).isEmpty());
        MaterializedPlan p = Compile.source(DEPLOY.replace("gpu L40S", "gpu B200"));
        GpuSpec g = p.deployment().cluster().gpu();
        NodeCosts costs = p.analysis().nodes();
        int linears = 0;
        for (DagNode n : p.dag().nodes()) {
            if (!(n.op() instanceof Op.Linear)) continue;
            linears++;
            long[] bmnk = KernelModel.bmnk(n.op().contraction(), n.inputs().get(0), n.output());
            double work = Math.max(KernelModel.waves(bmnk[0], bmnk[1], bmnk[2], bmnk[3], g, DType.FP8),
                    costs.bytes(n.index()) / (g.hbmBandwidth() * g.bandwidthEfficiency()));
            double expected = Math.max(work + g.kernelOverhead(), g.launchOverhead());
            assertEquals(expected, costs.seconds(n.index()), 1e-15, n.id());
        }
        assertTrue(linears > 0);
    }

    private static GpuSpec h100() {
        return Compile.source(DEPLOY.replace("gpu L40S", "gpu H100")).deployment().cluster().gpu();
    }

    @Test
    void everyKindOfTheStandardLibraryThatBorrowsMeasurementsBorrowsFromItsOwnChip() {
        for (String gpu : List.of("A100", "H100", "H200", "B200", "MI300X", "L40S")) {
            pdagc.driver.Compiler c = new pdagc.driver.Compiler(java.util.Set.of());
            c.check(pdagc.source.SourceFile.of(gpu + ".pdag", null, DEPLOY.replace("gpu L40S", "gpu " + gpu)));
            assertTrue(c.diagnostics().sorted().isEmpty(), gpu + ": " + pdagc.diag.DiagnosticRenderer.render(c.diagnostics().sorted()));
        }
    }
}
