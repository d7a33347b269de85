package pdagc.robust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import pdagc.cli.Main;

/**
 * Inputs at the limits (issue 14): each is refused with a coded diagnostic and exit 1, never an
 * internal error (exit 3).
 */
class LimitsTest {
    /** A small dense model on one GPU; the tests replace parts of it. */
    static final String BASE = """
            import std.hardware
            import std.blocks
            model M { vocab 1000  hidden 256  heads 4  layers 2  ffn 1024 }
            cluster C { gpu H100  count 1  per_node 1 }
            workload W { batch 8  seq 128  phase prefill  dtype bf16 }
            strategy S { mesh [tp 1] }
            deploy D = M on C with S for W
            """;

    record Run(int rc, String out, String err) {}

    static Run run(Path dir, String text, String... command) throws Exception {
        Path file = dir.resolve("limits.pdag");
        Files.writeString(file, text);
        String[] args = new String[command.length + 1];
        System.arraycopy(command, 0, args, 0, command.length);
        args[command.length] = file.toString();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = Main.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(rc, out.toString(), err.toString());
    }

    /** Exit 1 with the given code, and no internal error. */
    static void refused(Run r, String code) {
        assertEquals(1, r.rc(), r.err());
        assertTrue(r.err().contains("error[" + code + "]"), r.err());
        assertFalse(r.err().contains("E0901") || r.err().contains("internal error"), r.err());
    }

    @Test
    void twoDeploysSharingAnIllegalStrategyAreBothRefused(@TempDir Path dir) throws Exception {
        String text = BASE.replace("strategy S { mesh [tp 1] }",
                        "strategy S { mesh [tp 1]  micro_batches 2  schedule interleaved  virtual_stages 2 }")
                + "deploy E = M on C with S for W\n";
        Run r = run(dir, text, "check");
        refused(r, "E0212");
    }

    /** A dense 8B-like model: sizes large enough that a huge batch overflows the step's totals. */
    static final String LARGE = BASE.replace("vocab 1000  hidden 256  heads 4  layers 2  ffn 1024",
            "vocab 32000  hidden 4096  heads 32  layers 32  ffn 14336");

    /** Each input of issue 14 that overflowed a long: E0207 at the deploy, saying what was being counted. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "workload W { batch 8  seq 128 | workload W { batch 8  seq 1000000000 | counting the FLOPs and bytes of `layers.0.a.scores`",
        "hidden 256  heads 4 | hidden 1073741824  heads 1073741824 | counting the FLOPs and bytes of `layers.0.a.q`",
        "hidden 256  heads 4 | hidden 2147483648  heads 4 | counting the FLOPs and bytes of `layers.0.a.q`",
        "batch 8  seq 128  phase prefill | batch 8  seq 1  phase decode  context 1e18 | counting the FLOPs and bytes of `layers.0.a.scores`",
        "ffn 1024 | ffn 1024  experts 1e18  top 2 | counting the weight elements of `layers.0.moe.route`",
    })
    void overflowIsE0207(String from, String to, String what, @TempDir Path dir) throws Exception {
        assertTrue(BASE.contains(from));
        Run r = run(dir, BASE.replace(from, to), "check");
        refused(r, "E0207");
        assertTrue(r.err().contains("integer overflow: " + what), r.err());
        assertTrue(r.err().contains("limits.pdag:7:1"), r.err());
    }

    @Test
    void aHugeBatchOverflowsTheStepTotals(@TempDir Path dir) throws Exception {
        Run r = run(dir, LARGE.replace("batch 8  seq 128", "batch 16777216  seq 2048"), "check");
        refused(r, "E0207");
        assertTrue(r.err().contains("adding up the FLOPs and bytes of GPU 0's step"), r.err());
    }

    @Test
    void expertWeightsOverflowTheMemory(@TempDir Path dir) throws Exception {
        String text = LARGE.replace("layers 32  ffn 14336", "layers 64  ffn 14336  experts 4294967296  top 2  norm rmsnorm  act silu  layer gated_moe_layer")
                .replace("count 1  per_node 1", "count 8  per_node 8").replace("mesh [tp 1]", "mesh [ep 8]");
        Run r = run(dir, text, "check");
        refused(r, "E0207");
        assertTrue(r.err().contains("counting the memory of a GPU in bytes"), r.err());
    }

    @Test
    void statsOverflowIsE0207AtTheModel(@TempDir Path dir) throws Exception {
        Run r = run(dir, BASE.replace("hidden 256", "hidden 2147483648"), "stats");
        refused(r, "E0207");
        assertTrue(r.err().contains("counting the parameters of model `M`") && r.err().contains("limits.pdag:3:7"), r.err());
    }

    /** An imported config reaches the same counts: the import writes the sizes, stats and compile refuse them. */
    @Test
    void anImportedConfigOfHugeSizes(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("config.json");
        Files.writeString(config, """
                {"model_type": "llama", "vocab_size": 32000, "hidden_size": 2147483648, "num_attention_heads": 2147483648,
                 "num_key_value_heads": 2147483648, "num_hidden_layers": 2, "intermediate_size": 1024,
                 "rms_norm_eps": 1e-5, "hidden_act": "silu"}
                """);
        Path model = dir.resolve("huge.pdag");
        StringWriter err = new StringWriter();
        assertEquals(0, Main.run(new String[] {"import", "hf", config.toString(), "-o", model.toString()}, new PrintWriter(new StringWriter()), new PrintWriter(err)), err.toString());
        String text = BASE.replace("model M { vocab 1000  hidden 256  heads 4  layers 2  ffn 1024 }", "import huge")
                .replace("deploy D = M on", "deploy D = Huge on");
        refused(run(dir, text, "check"), "E0207");
        refused(run(dir, Files.readString(model), "stats"), "E0207");
    }

    /**
     * Long flat expressions (a sum of 20,000 terms, 100,000 unary minuses) are E0006 before parsing,
     * at the operator past the limit, the same on every run; at the limit they compile.
     */
    @Test
    void longExpressionsAreE0006(@TempDir Path dir) throws Exception {
        String sum = "vocab " + String.join(" + ", java.util.Collections.nCopies(20_000, "1"));
        String minuses = "vocab " + "- ".repeat(100_000) + "1000";
        for (String vocab : java.util.List.of(sum, minuses)) {
            for (String command : new String[] {"check", "fmt"}) {
                Run r = run(dir, BASE.replace("vocab 1000", vocab), command);
                refused(r, "E0006");
                assertTrue(r.err().contains("an expression has more than 1000 operators"), r.err());
            }
        }
        // 1,000 operators, 190 brackets deep: the deepest tree the limits allow compiles.
        String deepest = "vocab " + "(".repeat(190) + String.join(" + ", java.util.Collections.nCopies(1001, "1")) + ")".repeat(190);
        Run ok = run(dir, BASE.replace("vocab 1000", deepest), "check");
        assertEquals(0, ok.rc(), ok.err());
        ok = run(dir, BASE.replace("vocab 1000", "vocab " + "- - ".repeat(500) + "1000"), "check");
        assertEquals(0, ok.rc(), ok.err());
        // Operators of consecutive properties are not added up.
        String many = BASE.replace("vocab 1000", "vocab " + String.join(" + ", java.util.Collections.nCopies(900, "1"))
                + "  kv_heads " + String.join(" * ", java.util.Collections.nCopies(900, "1")) + " + 3");
        ok = run(dir, many, "check");
        assertEquals(0, ok.rc(), ok.err());
    }

    /** A pp-only pipeline: {@code stages} stages of one layer each, {@code micro} micro-batches. */
    static String pipeline(int stages, int micro) {
        return BASE.replace("layers 2", "layers " + stages).replace("count 1  per_node 1", "count " + stages + "  per_node 8")
                .replace("batch 8", "batch " + micro).replace("mesh [tp 1]", "mesh [pp " + stages + "]  micro_batches " + micro + "  schedule 1f1b");
    }

    /**
     * The schedules' size is computed in closed form before anything is allocated: pp 512 with 512
     * micro-batches (4.2M nodes on one GPU per stage, once 6 GB of heap and out of memory) is E0506
     * and so is 2^20 micro-batches over 4 stages (71M nodes, 17.8M on one GPU per stage), each at once (the plan's own
     * budget, E0505, is tests/ui/plan_over_node_budget's).
     */
    @Test
    void longPipelinesAreRefusedBeforeAllocating(@TempDir Path dir) throws Exception {
        long t0 = System.nanoTime();
        Run r = run(dir, pipeline(512, 512), "check");
        refused(r, "E0506");
        assertTrue(r.err().contains("4,196,352 nodes"), r.err());
        Run big = run(dir, pipeline(4, 1 << 20), "check");
        refused(big, "E0506");
        // Generous: the front end lowers 512 layers; the schedules of the old code took 45 s before failing.
        assertTrue(System.nanoTime() - t0 < 30_000_000_000L, "took " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        long used = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        assertTrue(used < 1L << 30, "heap in use " + (used >> 20) + " MB");
    }

    /** Under both budgets, a long pipeline compiles; the closed-form size agrees with the schedules (Materialize checks). */
    @Test
    void aPipelineUnderTheBudgetsCompiles(@TempDir Path dir) throws Exception {
        Run r = run(dir, pipeline(64, 64), "check");
        assertEquals(0, r.rc(), r.err());
        r = run(dir, pipeline(8, 24).replace("schedule 1f1b", "schedule interleaved  virtual_stages 2").replace("layers 8", "layers 16"), "check");
        assertEquals(0, r.rc(), r.err());
    }

    /**
     * A copy of stdlib's {@code lm_head} declaring a result dimension of 1.5: the model's default
     * head is std's, so the copy was never called and its shape never checked. Declared shapes are
     * checked in every block of the file; one the model does call reports it once.
     */
    @Test
    void aDeclaredShapeOfAnUncalledBlockIsChecked(@TempDir Path dir) throws Exception {
        String copy = """
                block lm_head(x: [B, S, hidden]) -> [B, 1.5, vocab] {
                  n      = norm(x)
                  last   = last_token(n)
                  logits = linear(last, out: vocab) @column(tp)
                  return logits
                }
                """;
        for (String command : new String[] {"check", "verify"}) {
            Run r = run(dir, BASE + copy, command);
            refused(r, "E0204");
            assertTrue(r.err().contains("expected a whole number, found `1.5`") && r.err().contains("limits.pdag:8:41"), r.err());
        }
        Run called = run(dir, BASE.replace("ffn 1024 }", "ffn 1024  head lm_head }") + copy.replace("x: [B, S, hidden]", "x: [B, S, 256 GB]"), "check");
        refused(called, "E0204");
        assertEquals(2, called.err().split("error\\[E0204\\]", -1).length - 1, called.err());
    }
}
