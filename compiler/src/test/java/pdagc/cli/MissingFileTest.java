package pdagc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A file that does not exist, or has no text, has no line to quote: its diagnostic names the file alone. */
class MissingFileTest {

    private static String run(String... args) {
        StringWriter err = new StringWriter();
        assertEquals(1, Main.run(args, new PrintWriter(new StringWriter()), new PrintWriter(err)));
        return err.toString();
    }

    @Test
    void aMissingFileHasNoSnippet(@TempDir Path dir) {
        String missing = dir.resolve("missing.pdag").toString();
        String expected = "error[E0004]: cannot read " + missing + ": no such file\n --> " + missing + "\n\nerror: could not compile: 1 error\n";
        assertEquals(expected, run(missing));
        assertEquals(expected, run("check", missing));
        assertEquals(expected, run(missing, "--emit", "json"));
    }

    @Test
    void anEmptyFileHasNoSnippetEither(@TempDir Path dir) throws Exception {
        Path empty = Files.writeString(dir.resolve("empty.pdag"), "");
        assertEquals("error[E0301]: no deployment to compile in " + empty + "\n --> " + empty
                + "\n  = help: add `deploy NAME = MODEL on CLUSTER with STRATEGY for WORKLOAD`\n\nerror: could not compile: 1 error\n",
                run("check", empty.toString()));
    }
}
