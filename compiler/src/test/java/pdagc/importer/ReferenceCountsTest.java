package pdagc.importer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import pdagc.Repo;
import pdagc.lower.ModelStats;

/**
 * The exact counts of the shared reference facts: each config in {@code ../shared/reference/hf-configs/}
 * is imported as it is and counted from its IR, and the expected numbers are read from the table
 * in {@code ../shared/reference/README.md}, never copied by hand.
 */
class ReferenceCountsTest {
    /** One row of the README's model table: file, total, active, KV bytes per token. */
    record Row(String file, long total, long active, long kvBytes) {}

    static List<Row> rows() throws Exception {
        List<Row> rows = new ArrayList<>();
        for (String line : Files.readAllLines(Repo.reference("README.md"))) {
            if (!line.startsWith("| ") || !line.contains(".config.json")) continue;
            String[] cells = line.split("\\|");
            String[] counts = cells[4].split("/");
            long total = number(counts[0]);
            long active = counts.length > 1 ? number(counts[1]) : total;
            rows.add(new Row(cells[1].trim(), total, active, number(cells[5].replace("B", ""))));
        }
        return rows;
    }

    private static long number(String s) {
        return Long.parseLong(s.replace(",", "").trim());
    }

    @Test
    void theReadmeListsTheFourReferenceConfigs() throws Exception {
        List<String> files = rows().stream().map(Row::file).sorted().toList();
        assertEquals(List.of("llama-2-70b.config.json", "llama-3-8b.config.json", "mixtral-8x7b.config.json", "olmoe-1b-7b-0924.config.json"), files);
    }

    @Test
    void importedReferenceModelsHaveTheExactPublishedCounts() throws Exception {
        for (Row row : rows()) {
            Path config = Repo.reference("hf-configs/" + row.file());
            ModelStats s = Imports.importAndCount(Files.readString(config));
            assertEquals(row.total(), s.totalParams(), row.file() + " total");
            assertEquals(row.active(), s.activeParams(), row.file() + " active");
            assertEquals(row.kvBytes(), s.kvCacheBytesPerToken(), row.file() + " KV cache per token");
            assertEquals(0, s.mtpModules(), row.file());
        }
    }

    @Test
    void theStatsCommandPrintsThemAsJson(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        for (Row row : rows()) {
            Path out = dir.resolve(row.file().replace(".config.json", ".pdag").replace('-', '_'));
            Imports.Run imported = Imports.cli("import", "hf", Repo.reference("hf-configs/" + row.file()).toString(), "-o", out.toString());
            assertEquals(0, imported.code(), imported.err());
            Imports.Run stats = Imports.cli("stats", out.toString(), "--json");
            assertEquals(0, stats.code(), stats.err());
            assertEquals("{\"total_params\":" + row.total() + ",\"active_params\":" + row.active() + ",\"kv_cache_bytes_per_token\":" + row.kvBytes()
                    + "}\n", stats.out());
            assertTrue(stats.err().isEmpty(), stats.err());
        }
    }
}
