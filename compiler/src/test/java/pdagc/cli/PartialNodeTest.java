package pdagc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import pdagc.Repo;

/**
 * 12 GPUs in nodes of 8: the last node is partial. The plan compiles with warning W0307 (which
 * says how it is costed), and verify proves it: a partial node changes costs, never semantics.
 */
class PartialNodeTest {
    static final String FILE = Repo.file("tests/ui/partial_nodes.pdag").toString();

    @Test
    void aPartialLastNodeCompilesWithAWarningAndVerifies() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertEquals(0, Main.run(new String[] {FILE}, new PrintWriter(out), new PrintWriter(err)), err.toString());
        assertTrue(err.toString().startsWith("warning[W0307]: 12 GPUs do not fill whole nodes of 8: the last node holds 4 GPUs"), err.toString());
        assertTrue(err.toString().contains("GPUs 8-11 share node 1 of 2"), err.toString());
        assertTrue(out.toString().startsWith("deploy D: 12 GPUs, mesh [dp 3, tp 4]"), out.toString());
        out = new StringWriter();
        assertEquals(0, Main.run(new String[] {"verify", FILE}, new PrintWriter(out), new PrintWriter(new StringWriter())), out.toString());
        assertTrue(out.toString().contains("  agree: "), out.toString());
    }
}
