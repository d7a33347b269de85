package pdagc.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import pdagc.Repo;

/**
 * The compact calibration tables the kernel model reads are what {@link Calibration#compactTables}
 * makes of the sourced CSV files (rerun with -Dbless=true after changing a CSV), and every GPU kind
 * with measurements is one that {@code std.hardware} declares.
 */
class CalibrationTablesTest {
    @Test
    void theCompactTablesAreMadeFromTheSourcedFiles() throws Exception {
        Path dir = Repo.file("stdlib/calibration");
        for (Map.Entry<String, String> e : Calibration.compactTables(dir).entrySet()) {
            Path file = dir.resolve(e.getKey() + ".tsv");
            if (Boolean.getBoolean("bless")) Files.writeString(file, e.getValue());
            assertEquals(e.getValue(), Files.readString(file), file + " (rerun with -Dbless=true)");
        }
    }

    @Test
    void everyMeasuredKindIsDeclared() throws Exception {
        String hardware = Files.readString(Repo.file("stdlib/std/hardware.pdag"));
        for (String kind : Calibration.kinds()) {
            if (kind.equals("H800")) continue; // DeepGEMM's H800 rows: a chip std.hardware does not declare, kept for reference
            assertTrue(hardware.contains("gpu " + kind + " {"), kind);
        }
        assertTrue(Calibration.kinds().containsAll(java.util.List.of("A100", "H100")));
    }
}
