package pdagc.importer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pdagc.Repo;

/**
 * The reference models in {@code stdlib/std/models/} are exactly what the import makes of the
 * shared reference configs, they are importable as {@code std.models.NAME}, and the Mixtral
 * example that deploys one of them checks and verifies, prefill and decode.
 */
class StdlibModelsTest {
    static final Map<String, String> MODELS = Map.of(
            "llama_3_8b", "llama-3-8b.config.json",
            "llama_2_70b", "llama-2-70b.config.json",
            "mixtral_8x7b", "mixtral-8x7b.config.json",
            "olmoe_1b_7b", "olmoe-1b-7b-0924.config.json");

    @Test
    void stdlibModelsAreWhatTheImportWrites(@TempDir Path dir) throws Exception {
        for (Map.Entry<String, String> e : MODELS.entrySet()) {
            Path out = dir.resolve(e.getKey() + ".pdag");
            Imports.Run r = Imports.cli("import", "hf", Repo.reference("hf-configs/" + e.getValue()).toString(), "-o", out.toString());
            assertEquals(0, r.code(), r.err());
            assertEquals(Files.readString(out), Files.readString(Repo.file("stdlib/std/models/" + e.getKey() + ".pdag")),
                    "stdlib/std/models/" + e.getKey() + ".pdag is stale: re-run `pdagc import hf ../shared/reference/hf-configs/" + e.getValue()
                            + " -o stdlib/std/models/" + e.getKey() + ".pdag`");
        }
        try (var files = Files.list(Repo.file("stdlib/std/models"))) {
            assertEquals(MODELS.size(), files.count());
        }
    }

    @Test
    void stdlibModelsAreImportable() {
        String source = """
                import std.hardware
                import std.models.olmoe_1b_7b
                import std.models.llama_3_8b as llama
                model Small { vocab 64  hidden 32  heads 4  layers 1  ffn 64 }
                """;
        // Olmoe_1b_7b by its simple name, Llama_3_8b through its alias.
        assertEquals(List.of("Olmoe_1b_7b", "Llama_3_8b"), names(source + """
                cluster C { gpu H100  count 8 }
                strategy S { mesh [ep 8] }
                strategy T { mesh [tp 8] }
                workload W { batch 8  seq 16 }
                deploy A = Olmoe_1b_7b on C with S for W
                deploy B = llama.Llama_3_8b on C with T for W
                """));
    }

    private static List<String> names(String source) {
        pdagc.driver.Compiler c = new pdagc.driver.Compiler(java.util.Set.of());
        List<pdagc.driver.MaterializedPlan> plans = c.check(pdagc.source.SourceFile.of("uses.pdag", null, source));
        assertTrue(!c.diagnostics().hasErrors(), () -> pdagc.diag.DiagnosticRenderer.render(c.diagnostics().sorted()));
        return plans.stream().map(p -> p.deployment().model().name()).toList();
    }

    @Test
    void theMixtralExampleChecksAndVerifies() {
        Imports.Run check = Imports.cli("check", Repo.file("examples/mixtral_8x7b_ep_tp.pdag").toString());
        assertEquals(0, check.code(), check.err());
        assertTrue(check.out().contains("deploy MixtralPrefill ok: 16 GPUs, mesh [ep 8, tp 2]"), check.out());
        assertTrue(check.out().contains("deploy MixtralDecode ok: 16 GPUs, mesh [ep 8, tp 2]"), check.out());
        assertTrue(check.err().isEmpty(), "no warnings: " + check.err());
        Imports.Run verify = Imports.cli("verify", Repo.file("examples/mixtral_8x7b_ep_tp.pdag").toString());
        assertEquals(0, verify.code(), verify.out() + verify.err());
        assertEquals(2, verify.out().lines().filter(l -> l.trim().startsWith("agree: ")).count(), verify.out());
    }

    @Test
    void theMixtralExampleCountsTheReferenceNumbers() throws Exception {
        Imports.Run stats = Imports.cli("stats", Repo.file("examples/mixtral_8x7b_ep_tp.pdag").toString(), "--json");
        assertEquals(0, stats.code(), stats.err());
        ReferenceCountsTest.Row mixtral = ReferenceCountsTest.rows().stream().filter(r -> r.file().startsWith("mixtral")).findFirst().orElseThrow();
        assertEquals("{\"total_params\":" + mixtral.total() + ",\"active_params\":" + mixtral.active() + ",\"kv_cache_bytes_per_token\":"
                + mixtral.kvBytes() + "}\n", stats.out());
    }
}
