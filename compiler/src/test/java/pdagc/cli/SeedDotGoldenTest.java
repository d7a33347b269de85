package pdagc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pdagc.Golden;
import pdagc.Repo;

/** The seed's default drawing (the roles view, chosen by the node budget) kept as a golden DOT file. */
class SeedDotGoldenTest {

    @Test
    void theSeedsDefaultViewIsTheRolesView(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("seed.dot");
        StringWriter err = new StringWriter();
        int code = Main.run(new String[] {Repo.file("examples/seed_moe_ep16_tp4.pdag").toString(), "--emit", "dot", "-o", out.toString()},
                new PrintWriter(new StringWriter()), new PrintWriter(err));
        assertEquals(0, code, err.toString());
        assertTrue(err.toString().contains("view: roles (1 role x 64 GPUs"), err.toString());
        Golden.check("seed.roles.dot", Files.readString(out));
    }
}
