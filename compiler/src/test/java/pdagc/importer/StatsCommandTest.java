package pdagc.importer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pdagc.Repo;

/**
 * {@code pdagc stats}: counts any model written in .pdag (imported or not) from its IR; prints
 * {@code mtp_params} only for models with multi-token-prediction modules; says clearly when a
 * file has no model or several.
 */
class StatsCommandTest {
    @TempDir
    Path dir;

    private Path write(String name, String text) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    @Test
    void aHandWrittenModelIsCountedTheSameWay() {
        // The seed: 16 layers of LayerNorm (scale only), attention 4h^2, router h x E, 16 GELU experts of 2 x h x f;
        // embedding and head V x h, final norm h.
        long v = 32000, h = 512, l = 16, f = 2048, e = 16, k = 2;
        long common = 4 * h * h + 2 * h + h * e;
        Imports.Run r = Imports.cli("stats", Repo.file("examples/seed_moe_ep16_tp4.pdag").toString(), "--json");
        assertEquals(0, r.code(), r.err());
        long total = l * (common + e * 2 * h * f) + 2 * v * h + h;
        long active = l * (common + k * 2 * h * f) + 2 * v * h + h;
        assertEquals("{\"total_params\":" + total + ",\"active_params\":" + active + ",\"kv_cache_bytes_per_token\":" + 2 * l * h * 2 + "}\n", r.out());
    }

    @Test
    void mtpParamsOnlyWhereTheModelHasThem() throws Exception {
        String deepseek = Imports.pdag("""
                {"model_type": "deepseek_v3", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "moe_intermediate_size": 16,
                 "num_hidden_layers": 3, "num_nextn_predict_layers": 1, "num_attention_heads": 4, "n_shared_experts": 1,
                 "n_routed_experts": 4, "num_experts_per_tok": 2, "first_k_dense_replace": 1, "q_lora_rank": 24, "kv_lora_rank": 16,
                 "qk_nope_head_dim": 8, "qk_rope_head_dim": 4, "v_head_dim": 8}""", "Ds");
        Path file = write("ds.pdag", deepseek);
        Imports.Run json = Imports.cli("stats", file.toString(), "--json");
        assertEquals(0, json.code(), json.err());
        assertTrue(json.out().matches("\\{\"total_params\":\\d+,\"active_params\":\\d+,\"kv_cache_bytes_per_token\":120,\"mtp_params\":\\d+}\n"), json.out());
        Imports.Run text = Imports.cli("stats", file.toString());
        assertTrue(text.out().startsWith("model Ds\n") && text.out().contains("MTP params") && text.out().contains("1 module, not in the totals"), text.out());
        Imports.Run llama = Imports.cli("stats", Repo.file("stdlib/std/models/llama_3_8b.pdag").toString(), "--json");
        assertTrue(!llama.out().contains("mtp_params"), llama.out());
    }

    @Test
    void aFileWithoutAModelIsAnInputError() throws Exception {
        Imports.Run r = Imports.cli("stats", write("none.pdag", "import std.hardware\ncluster C { gpu H100 count 8 }\n").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("error[E0607]: no model in"), r.err());
    }

    @Test
    void severalModelsNeedAChoiceForJson() throws Exception {
        Path file = write("two.pdag", """
                model A { vocab 64  hidden 32  heads 4  layers 1  ffn 64 }
                model B { vocab 64  hidden 32  heads 4  layers 2  ffn 64 }
                """);
        Imports.Run text = Imports.cli("stats", file.toString());
        assertEquals(0, text.code(), text.err());
        assertTrue(text.out().contains("model A\n") && text.out().contains("model B\n"), text.out());
        assertEquals(2, Imports.cli("stats", file.toString(), "--json").code());
        Imports.Run b = Imports.cli("stats", file.toString(), "--json", "--model", "B");
        assertEquals(0, b.code(), b.err());
        // Layer: LayerNorm-free default is rmsnorm, 2 x h; attention 4h^2; GELU MLP 2hf. Embedding and head V x h, final norm h.
        long h = 32, f = 64, v = 64;
        long total = 2 * (4 * h * h + 2 * h * f + 2 * h) + 2 * v * h + h;
        assertTrue(b.out().startsWith("{\"total_params\":" + total + ","), b.out());
        assertEquals(2, Imports.cli("stats", file.toString(), "--model", "C").code());
    }
}
