package pdagc.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import pdagc.Golden;
import pdagc.Repo;
import pdagc.backend.ReportBackend;
import pdagc.cli.Main;
import pdagc.driver.Compile;
import pdagc.driver.Compiler;
import pdagc.driver.MaterializedPlan;
import pdagc.source.SourceFile;
import pdagc.units.Units;

/**
 * The seed's figures (EP-16 x TP-4 on 64 H100s, prefill of 128 x 128 tokens), derived by hand from
 * its shapes and checked exactly, and its report (a golden file: rerun with -Dbless=true when the
 * cost model changes on purpose). docs/cost-model.md ("The seed, derived") compares them with the seed's "1.15 GB per GPU" and
 * "TTFT < 0.1 s".
 */
class SeedReportTest {
    static MaterializedPlan seed;
    static Analysis.GpuFigures gpu0;

    @BeforeAll
    static void compile() {
        seed = Compile.file("examples/seed_moe_ep16_tp4.pdag");
        gpu0 = seed.analysis().gpus().get(0);
    }

    @Test
    void everyGpuHoldsTheSameShardsAndTheirBytesAreTheHandCount() {
        // embedding 32000/4 x 512; per layer: 2 norms of 512, q/k/v 3 x 512 x 128, output 128 x 512,
        // router 512 x 16, one expert's up and down 512 x 2048/4 each; final norm 512; head 512 x 32000/4
        long perLayer = 2 * 512 + 3 * 512 * 128 + 128 * 512 + 512 * 16 + 2 * 512 * 512;
        long elements = 8000L * 512 + 16 * perLayer + 512 + 512 * 8000L;
        assertEquals(2 * elements, gpu0.memory().weightBytes());
        assertEquals(41_845_760L, gpu0.memory().weightBytes());
        // keys and values, 16 layers, 8 sequences x 128 positions, 2 of 8 heads of 64
        assertEquals(2L * 16 * 8 * 128 * 128 * 2, gpu0.memory().kvCacheBytes());
        // peak at the dispatch all-to-all: the residual [8,128,512], the routes [8,128,2], the
        // dispatched buckets [16,128,512] and the received ones [1,2048,512]
        assertEquals((8 * 128 * 512 + 8 * 128 * 2 + 16 * 128 * 512 + 2048 * 512) * 2L, gpu0.memory().activationBytes());
        // the largest collective buffer: an all-to-all of [16,128,512]
        assertEquals(16 * 128 * 512 * 2L, gpu0.memory().workspaceBytes());
        assertEquals(57_578_496L, gpu0.memory().total());
        for (Analysis.GpuFigures g : seed.analysis().gpus()) assertEquals(gpu0.memory(), g.memory());
    }

    @Test
    void theReportStatesMemoryPerGpuTtftAndThroughput() {
        String report = ReportBackend.render(seed.deployment(), seed.dag(), seed.analysis());
        Analysis.Step s = seed.analysis().step();
        assertTrue(report.contains("  memory total                  57.58 MB\n"), report);
        assertTrue(report.contains("  TTFT                          " + Units.seconds(s.seconds()) + "\n"), report);
        assertTrue(report.contains("  throughput                    " + Figures.tokensPerSecond(s.throughput())), report);
        assertTrue(report.contains("  ttft <= 10 s                  met: " + Units.seconds(s.seconds()) + "\n"), report);
        assertTrue(report.contains("  memory <= 64 GB per gpu       met: 57.58 MB\n"), report);
        Golden.check("seed.report.txt", report);
    }

    @Test
    void theCommandLineWritesTheReport() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        String file = Repo.file("examples/seed_moe_ep16_tp4.pdag").toString();
        int code = Main.run(new String[] {file, "--emit", "report"}, out, new PrintWriter(err));
        assertEquals(0, code, err.toString());
        String report = ReportBackend.render(seed.deployment(), seed.dag(), seed.analysis());
        String cli = out.toString(StandardCharsets.UTF_8);
        assertEquals(report.substring(report.indexOf('\n')), cli.substring(cli.indexOf('\n')), "the same report but for the file's name");
    }

    @Test
    void aFileNameCannotReorderTheReport() {
        Compiler c = new Compiler(Set.of());
        String text = "import std.hardware\nimport std.blocks\n"
                + "model M { vocab 64  hidden 16  heads 2  layers 1  ffn 32  norm rmsnorm  act silu  layer dense_layer }\n"
                + "cluster C { gpu H100  count 1 }\nworkload W { batch 1  seq 4 }\nstrategy S { mesh [tp 1] }\n"
                + "deploy D = M on C with S for W\n";
        MaterializedPlan p = c.check(SourceFile.of("odd\u202egpj.pdag", null, text)).get(0);
        String report = ReportBackend.render(p.deployment(), p.dag(), p.analysis());
        assertTrue(report.startsWith("pdagc report: deploy D (odd\\u202Egpj.pdag)\n"), report);
        assertTrue(report.chars().noneMatch(ch -> ch == 0x202E));
    }

    @Test
    void theReportIsTheSameUnderAnotherLocale() {
        String first = ReportBackend.render(seed.deployment(), seed.dag(), seed.analysis());
        Locale before = Locale.getDefault();
        try {
            Locale.setDefault(Locale.forLanguageTag("de-DE"));
            MaterializedPlan again = Compile.file("examples/seed_moe_ep16_tp4.pdag");
            assertEquals(first, ReportBackend.render(again.deployment(), again.dag(), again.analysis()));
        } finally {
            Locale.setDefault(before);
        }
    }
}
