package pdagc.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import pdagc.fidelity.Fidelity;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code pdagc fidelity TABLE.csv}: predicts every row of a table of measured serving results and
 * prints measured, predicted and error per row, with the mean and max absolute error
 * ({@link Fidelity}). Each row's model config is {@code configs/<config>.config.json} beside the
 * table. Exit 1 only when the table cannot be read.
 */
@Command(name = "fidelity", mixinStandardHelpOptions = true,
        description = "Hold predictions against a table of measured serving results (CSV): measured, predicted and error per row.")
final class FidelityCommand implements Callable<Integer> {
    private final PrintWriter out;
    private final PrintWriter err;

    @Parameters(index = "0", paramLabel = "TABLE", description = "a CSV table of measured results, with configs/ beside it")
    Path table;

    FidelityCommand(PrintWriter out, PrintWriter err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() {
        List<Fidelity.Row> rows;
        try {
            rows = Fidelity.read(table);
        } catch (IOException | RuntimeException e) {
            err.println("error: cannot read " + Reporting.display(table) + ": " + e.getMessage());
            return Main.INPUT_ERRORS;
        }
        Path configs = table.toAbsolutePath().getParent().resolve("configs");
        List<Fidelity.Result> results = new ArrayList<>();
        for (Fidelity.Row r : rows) results.add(Fidelity.predict(r, configs));
        out.print(Fidelity.table(results));
        out.flush();
        // Rows without a prediction are printed with the reason; they are the table's scope, not an error.
        return Main.OK;
    }
}
