package pdagc.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import pdagc.dag.DagNode;
import pdagc.driver.Compile;
import pdagc.driver.MaterializedPlan;
import pdagc.ir.DType;
import pdagc.ir.Op;
import pdagc.sem.GpuSpec;

/**
 * A decode step streams every layer's KV cache from HBM, which no kernel reads faster than the
 * GPU's achievable bandwidth ({@code bandwidth_efficiency} of the data sheet's). A microbenchmark
 * that calls one kernel over and over on a cache small enough for the L2 reads it from there, and
 * runs faster than HBM allows (the L40S's 8 sequences of 1,023 tokens, 8 key/value heads: 33.5 MB in
 * 23 us, 1.46 TB/s on an 864 GB/s GPU): such a kernel counts at the achievable bandwidth. A
 * measurement faster than the data sheet on a cache larger than any GPU's L2 reads nothing from HBM
 * at that rate and is not in the table (stdlib/calibration/SOURCES.md says which were left out).
 */
class AttentionFloorTest {
    static final String DEPLOY = """
            import std.hardware
            import std.models.llama_3_8b
            cluster C { gpu L40S  count 1 }
            workload W { batch 8  context 1023  phase decode  dtype bf16 }
            strategy S { mesh [tp 1] }
            deploy D = Llama_3_8b on C with S for W
            """;

    /** Larger than the L2 cache of every GPU with measurements here (the L40S's 96 MB is the largest). */
    static final double BEYOND_L2 = 100e6;

    private static List<String[]> decodeRows() throws Exception {
        List<String[]> out = new ArrayList<>();
        for (String line : java.nio.file.Files.readAllLines(pdagc.Repo.file("stdlib/calibration/attention.csv"))) {
            String[] f = line.split(",");
            if (f.length > 11 && f[1].equals("decode")) out.add(f);
        }
        return out;
    }

    private static double[] work(String[] f) {
        DType kv = f[3].equals("fp8") ? DType.FP8 : DType.BF16;
        return Calibration.attentionWork(Double.parseDouble(f[4]), 1, Double.parseDouble(f[6]), Double.parseDouble(f[7]), Double.parseDouble(f[8]),
                Double.parseDouble(f[9]), kv);
    }

    @Test
    void noMeasurementStreamsACacheBeyondTheL2FasterThanTheDataSheet() throws Exception {
        Map<String, Double> sheet = Map.of("A100", 2.04e12, "H100", 3.35e12, "H200", 4.8e12, "L40S", 864e9);
        int beyond = 0;
        for (String[] f : decodeRows()) {
            double[] w = work(f);
            if (w[1] <= BEYOND_L2) continue;
            beyond++;
            double rate = w[1] / (Double.parseDouble(f[11]) * 1e-6);
            assertTrue(rate <= sheet.get(f[0]), String.join(",", java.util.Arrays.copyOf(f, 12)) + ": " + rate / 1e12 + " TB/s");
        }
        assertTrue(beyond > 200, beyond + " measurements of caches beyond the L2");
    }

    @Test
    void anL2ResidentMeasurementIsFasterThanTheGpusMemory() throws Exception {
        GpuSpec l40s = Compile.source(DEPLOY).deployment().cluster().gpu();
        double measured = Double.NaN;
        for (String[] f : decodeRows()) {
            if (f[0].equals("L40S") && f[3].equals("bf16") && f[4].equals("8") && f[6].equals("1023") && f[7].equals("32") && f[8].equals("8")
                    && f[9].equals("128")) measured = Double.parseDouble(f[11]) * 1e-6;
        }
        double[] work = Calibration.attentionWork(8, 1, 1023, 32, 8, 128, DType.BF16);
        assertTrue(work[1] < BEYOND_L2, work[1] + " bytes: within the L2");
        assertTrue(measured < work[1] / l40s.hbmBandwidth(), "measured " + measured + " s: faster than the data sheet's bandwidth");
    }

    @Test
    void aDecodeStepsAttentionIsNoFasterThanTheAchievableBandwidth() {
        MaterializedPlan p = Compile.source(DEPLOY);
        GpuSpec g = p.deployment().cluster().gpu();
        NodeCosts costs = p.analysis().nodes();
        int n = 0;
        for (DagNode d : p.dag().nodes()) {
            if (!(d.op() instanceof Op.AttnScores a)) continue;
            n++;
            double kvHeads = d.inputs().get(1).last() / (double) a.headDim();
            double[] work = Calibration.attentionWork(8, 1, 1023, a.heads(), kvHeads, a.headDim(), DType.BF16);
            double floor = work[1] / (g.hbmBandwidth() * g.bandwidthEfficiency());
            assertEquals(floor, costs.seconds(d.index()), 1e-9 * floor, d.id());
        }
        assertEquals(32, n);
    }
}
