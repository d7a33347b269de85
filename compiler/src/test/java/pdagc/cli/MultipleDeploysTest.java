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
 * A file with several deploys: an output names one with --deploy; without it, E0312 lists them.
 * The plain summary needs no choice: it covers every deploy.
 */
class MultipleDeploysTest {
    static final String FILE = Repo.file("examples/mixtral_8x7b_ep_tp.pdag").toString();

    @Test
    void anOutputNeedsOneDeploy(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("plan.json");
        StringWriter err = new StringWriter();
        assertEquals(1, Main.run(new String[] {FILE, "--emit", "json", "-o", out.toString()}, new PrintWriter(new StringWriter()), new PrintWriter(err)));
        assertTrue(err.toString().contains("error[E0312]") && err.toString().contains("MixtralPrefill, MixtralDecode"), err.toString());
        assertFalse(Files.exists(out));
        err = new StringWriter();
        assertEquals(0, Main.run(new String[] {FILE, "--deploy", "MixtralDecode", "--emit", "json", "-o", out.toString()},
                new PrintWriter(new StringWriter()), new PrintWriter(err)), err.toString());
        assertTrue(Files.readString(out).contains("\"deployment\":\"MixtralDecode\""));
    }

    @Test
    void thePlainSummaryCoversEveryDeploy() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertEquals(0, Main.run(new String[] {FILE}, new PrintWriter(out), new PrintWriter(err)), err.toString());
        assertEquals("", err.toString());
        String text = out.toString();
        assertTrue(text.startsWith("deploy MixtralPrefill: 16 GPUs"), text);
        assertTrue(text.contains("\n\ndeploy MixtralDecode: 16 GPUs"), text);
        assertTrue(text.contains("TTFT") && text.contains("time per output token"), text);
        out = new StringWriter();
        assertEquals(0, Main.run(new String[] {FILE, "--deploy", "MixtralDecode"}, new PrintWriter(out), new PrintWriter(new StringWriter())));
        assertTrue(out.toString().startsWith("deploy MixtralDecode:") && !out.toString().contains("MixtralPrefill"), out.toString());
    }
}
