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

/**
 * The seed's drawings from the command line: the default (the deployment view, which fits the
 * budget) and the roles view, kept as a golden DOT file.
 */
class SeedDotGoldenTest {

    @Test
    void theSeedsDefaultViewIsTheDeployment(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("seed.dot");
        StringWriter err = new StringWriter();
        int code = Main.run(new String[] {Repo.file("examples/seed_moe_ep16_tp4.pdag").toString(), "--emit", "dot", "-o", out.toString()},
                new PrintWriter(new StringWriter()), new PrintWriter(err));
        assertEquals(0, code, err.toString());
        assertTrue(err.toString().contains("pdagc: view: deployment (16 of 64 GPUs on nodes 0-1 of 8, layer 0, "), err.toString());
        String dot = Files.readString(out);
        assertTrue(dot.contains("subgraph cluster_node0 {") && dot.contains("subgraph cluster_node1 {") && dot.contains("subgraph cluster_nodes2_7 {"), dot);
    }

    @Test
    void theSeedsRolesViewMatchesGolden(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("seed.dot");
        StringWriter err = new StringWriter();
        int code = Main.run(new String[] {Repo.file("examples/seed_moe_ep16_tp4.pdag").toString(), "--emit", "dot", "--view", "roles", "-o",
                out.toString()}, new PrintWriter(new StringWriter()), new PrintWriter(err));
        assertEquals(0, code, err.toString());
        assertTrue(err.toString().contains("view: roles (1 role x 64 GPUs"), err.toString());
        Golden.check("seed.roles.dot", Files.readString(out));
    }
}
