package pdagc.fidelity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import pdagc.Repo;

/**
 * The serving fidelity table: pdagc's predictions held against the measured rows of
 * {@code bench/fidelity/serving.csv}. The error figures docs/cost-model.md quotes are what this test
 * measures; it fails if the model gets worse than them.
 */
class FidelityTest {
    static final Path TABLE = Repo.file("bench/fidelity/serving.csv");
    static final Path CONFIGS = Repo.file("bench/fidelity/configs");

    static Fidelity.Row row(String metric, long batch, long in, long out) {
        return new Fidelity.Row("t", "Llama-2-7B", "llama-2-7b", "H100", 1, 1, 1, 1, "fp16", batch, in, out, metric, 1, "-", "-");
    }

    @Test
    void theMetricsOfOneSetupAgree() {
        double ttft = Fidelity.predict(row("ttft_ms", 8, 512, 64), CONFIGS).predicted();
        double tpot = Fidelity.predict(row("tpot_ms", 8, 512, 64), CONFIGS).predicted();
        double e2e = Fidelity.predict(row("e2e_ms", 8, 512, 64), CONFIGS).predicted();
        double total = Fidelity.predict(row("throughput_tok_s", 8, 512, 64), CONFIGS).predicted();
        assertEquals(ttft + 63 * tpot, e2e, 1e-9 * e2e);
        assertEquals(8 * 64 / (e2e / 1e3), total, 1e-9 * total);
        assertTrue(tpot < ttft, "a decode step of 8 tokens is shorter than a prefill of 4096");
    }

    @Test
    void theIssuesFourRowsAreInTheTableAndPredictedWithinFifteenPercent() throws Exception {
        Map<String, Double> measured = Map.of("trtllm090-h100-llama2-70b-tp4-b1-i128-ttft", 19.6, "trtllm090-h100-llama2-70b-tp8-b1-i2048-ttft", 85.1,
                "trtllm090-a100-llama2-70b-tp4-b1-i128-ttft", 45.6, "trtllm090-a100-llama2-70b-tp8-b1-i2048-ttft", 249.2);
        int found = 0;
        for (Fidelity.Row r : Fidelity.read(TABLE)) {
            if (!measured.containsKey(r.id())) continue;
            found++;
            assertEquals(measured.get(r.id()), r.measured());
            Fidelity.Result p = Fidelity.predict(r, CONFIGS);
            assertTrue(p.ok(), r.id() + ": " + p.problem());
            assertTrue(Math.abs(p.error()) <= 0.15, r.id() + ": " + p.predicted() + " ms against " + r.measured());
        }
        assertEquals(4, found);
    }

    /**
     * The table's expert_dtype column reaches the workload: TensorRT-LLM 0.9.0's fp8 Mixtral rows run
     * their experts in fp16 (bench/fidelity/SOURCES.md), and the prediction differs from the same
     * row with fp8 experts; rows that do not say it keep their dtype.
     */
    @Test
    void theExpertDtypeColumnReachesTheWorkload() throws Exception {
        int mixed = 0;
        for (Fidelity.Row r : Fidelity.read(TABLE)) {
            boolean trtllm090Fp8Mixtral = r.model().equals("Mixtral-8x7B") && r.engine().equals("TensorRT-LLM 0.9.0") && r.dtype().equals("fp8");
            assertEquals(trtllm090Fp8Mixtral ? "fp16" : "", r.expertDtype(), r.id());
            if (!trtllm090Fp8Mixtral) continue;
            mixed++;
            assertTrue(Fidelity.source(r, "").contains("dtype fp8 { experts fp16 }"), r.id());
        }
        assertEquals(18, mixed);
        Fidelity.Row ttft = Fidelity.read(TABLE).stream().filter(r -> r.id().equals("trtllm090-h100-mixtral-8x7b-tp2-b1-i2048-ttft")).findFirst()
                .orElseThrow();
        Fidelity.Row fp8 = new Fidelity.Row(ttft.id(), ttft.model(), ttft.config(), ttft.gpu(), ttft.gpus(), ttft.tp(), ttft.pp(), ttft.ep(),
                ttft.dtype(), ttft.batch(), ttft.input(), ttft.output(), ttft.metric(), ttft.measured(), ttft.engine(), ttft.source());
        double withFp16Experts = Fidelity.predict(ttft, CONFIGS).predicted(), withFp8Experts = Fidelity.predict(fp8, CONFIGS).predicted();
        assertTrue(withFp16Experts > withFp8Experts, withFp16Experts + " ms against " + withFp8Experts + " ms: fp16 experts run at half the fp8 rate");
    }

    /** The whole table, as `pdagc fidelity bench/fidelity/serving.csv` prints it; docs/cost-model.md and the README's tour quote these figures. */
    @Test
    void theTableIsNoWorseThanTheReadmeSays() throws Exception {
        List<Fidelity.Result> results = new ArrayList<>();
        for (Fidelity.Row r : Fidelity.read(TABLE)) results.add(Fidelity.predict(r, CONFIGS));
        Fidelity.Summary s = Fidelity.summary(results);
        assertEquals(227, s.rows());
        assertEquals(133, s.predicted(), Fidelity.table(results));
        assertTrue(s.meanAbsError() <= 0.287, "mean " + s.meanAbsError() + "\n" + Fidelity.table(results));
        assertTrue(s.maxAbsError() <= 1.348, "max " + s.maxAbsError());
    }
}
