package pdagc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pdagc.Repo;

/**
 * What {@code pdagc verify} says about the tiny shapes it runs: only the sizes the model reads
 * (no {@code expert_ffn} for a dense model, no {@code kv_heads} for latent attention), counts in
 * the singular where they are one, and a batch that grows said to grow.
 */
class VerifyNotesTest {

    private static String verify(Path file) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertEquals(0, Main.run(new String[] {"verify", file.toString()}, new PrintWriter(out), new PrintWriter(err)), err.toString());
        return out.toString();
    }

    @Test
    void aDenseMultiHeadModelListsNoExpertWidthAndCountsInTheSingular() {
        String out = verify(Repo.file("examples/llama2_7b_tp_sp.pdag"));
        assertTrue(out.startsWith("verify Llama2 on 8 GPUs, mesh [tp 8], at tiny shapes:\n"), out);
        assertFalse(out.contains("shrunk"), out);
        assertFalse(out.contains("expert_ffn"), out);
        assertTrue(out.contains("  heads 32 -> 16 (1 query head per key/value head; "), out);
        assertTrue(out.contains("  batch 8 -> 2 (2 sequences; no data-parallel axis splits it)\n"), out);
        assertFalse(out.contains("1 ways") || out.contains("1 query heads"), out);
    }

    @Test
    void latentAttentionListsNoKeyValueHeads() {
        String out = verify(Repo.file("compiler/src/test/resources/fuzz/regressions/deepseek_v2_lite_cp_sp.pdag"));
        assertFalse(out.contains("kv_heads"), out);
        assertFalse(out.contains("query head"), out);
        assertTrue(out.contains("  heads 16 -> 8 (keeps the factor 8 it shares with the mesh)\n"), out);
        assertTrue(out.contains("  expert_ffn 1408 -> 8"), "an MoE model lists its expert width: " + out);
    }

    @Test
    void aBatchThatGrowsIsSaidToGrow(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("dp8.pdag");
        Files.writeString(f, """
                import std.hardware
                model Tiny { vocab 1024  hidden 256  heads 8  layers 2  ffn 1024 }
                cluster Node8 { gpu H100  count 8 }
                workload Short { batch 8  seq 16 }
                strategy Dp8 { mesh [dp 8] }
                deploy D = Tiny on Node8 with Dp8 for Short
                """);
        String out = verify(f);
        assertTrue(out.contains("  batch 8 -> 16 (larger: 2 sequences for each of the 8 parts it splits into over the data-parallel axes)\n"), out);
        Files.writeString(f, Files.readString(f).replace("batch 8 ", "batch 16 "));
        assertTrue(verify(f).contains("  batch 16 (unchanged: 2 sequences for each of the 8 parts"), verify(f));
    }
}
