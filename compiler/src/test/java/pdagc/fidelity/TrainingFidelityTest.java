package pdagc.fidelity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import pdagc.Repo;

/**
 * The training fidelity table: pdagc's step times held against the eight measured Megatron-LM runs of
 * Korthikanti et al. 2022, Table 5 ({@code bench/fidelity/training.csv}, sources in
 * bench/fidelity/TRAINING-SOURCES.md). The figures docs/cost-model.md quotes are what this test
 * measures; it fails if the model gets worse than them. No constant of the cost model is set from
 * these rows.
 */
class TrainingFidelityTest {
    static final Path TABLE = Repo.file("bench/fidelity/training.csv");
    static final Path CONFIGS = Repo.file("bench/fidelity/configs");

    /** The table's measured seconds are the paper's (full recomputation; sequence parallelism with selective recomputation). */
    @Test
    void theTableHoldsThePapersEightFigures() throws Exception {
        Map<String, double[]> paper = Map.of("megatron-22b", new double[] {1.42, 1.10}, "gpt3-175b", new double[] {18.13, 13.75}, "mt-nlg-530b",
                new double[] {49.05, 37.83}, "megatron-1t", new double[] {94.42, 71.49});
        List<Fidelity.Row> rows = Fidelity.read(TABLE);
        assertEquals(8, rows.size());
        for (Fidelity.Row r : rows) {
            Fidelity.Training t = r.training();
            assertTrue(t != null, r.id());
            String key = r.id().replace("megatron-tab5-", "").replace("-full", "").replace("-sp-selective", "");
            boolean full = r.id().endsWith("-full");
            assertEquals(paper.get(key)[full ? 0 : 1], r.measured(), r.id());
            assertEquals(full ? "full" : "selective", t.recompute(), r.id());
            assertEquals(!full, t.sequenceParallel(), r.id());
            assertEquals("A100", r.gpu());
            assertEquals(2048, t.seq());
            assertEquals(51200, t.vocab());
            assertEquals(4 * t.hidden(), t.ffn());
        }
    }

    /** A row becomes the deployment it names: the global batch, its micro-batches, the schedule and the recomputation. */
    @Test
    void aRowIsWrittenAsTheRunItNames() throws Exception {
        Fidelity.Row r = Fidelity.read(TABLE).stream().filter(x -> x.id().equals("megatron-tab5-gpt3-175b-sp-selective")).findFirst().orElseThrow();
        String src = Fidelity.trainingSource(r);
        for (String s : List.of("hidden 12288", "heads 96", "layers 96", "ffn 49152", "vocab 51200", "layer gpt2_layer", "head gpt2_head",
                "gpu A100  count 64", "batch 64  seq 2048  phase train  dtype fp16", "mesh [pp 8, tp 8]", "sequence_parallel true", "micro_batches 64",
                "schedule interleaved", "virtual_stages 3", "recompute selective")) {
            assertTrue(src.contains(s), s + " in\n" + src);
        }
        Fidelity.Result p = Fidelity.predict(r, CONFIGS);
        assertNull(p.problem());
        assertTrue(p.memoryBytes() > 0 && p.memoryBytes() < 80e9, "memory " + p.memoryBytes());
    }

    /** The whole table, as `pdagc fidelity bench/fidelity/training.csv` prints it; docs/cost-model.md quotes these figures. */
    @Test
    void theTableIsNoWorseThanTheDocsSay() throws Exception {
        List<Fidelity.Result> results = new ArrayList<>();
        for (Fidelity.Row r : Fidelity.read(TABLE)) results.add(Fidelity.predict(r, CONFIGS));
        Fidelity.Summary s = Fidelity.summary(results);
        String table = Fidelity.table(results);
        assertEquals(8, s.rows());
        assertTrue(s.predicted() >= 4, table);
        // The rows refused are the 530B and 1T runs, over the per-stage node budget (E0506), and they say so.
        for (Fidelity.Result r : results) {
            if (!r.ok()) assertTrue(r.problem().contains("E0506"), r.row().id() + ": " + r.problem());
        }
        // Since the loss is vocabulary-parallel (no logits gathered), every row is predicted a little
        // shorter, and the 22B rows, already short, a little further off: 5.2 % and 11.1 % before.
        assertTrue(s.meanAbsError() <= 0.055, "mean " + s.meanAbsError() + "\n" + table);
        assertTrue(s.maxAbsError() <= 0.117, "max " + s.maxAbsError() + "\n" + table);
    }
}
