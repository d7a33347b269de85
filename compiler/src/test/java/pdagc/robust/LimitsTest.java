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
        refused(r, "E0206");
    }
}
