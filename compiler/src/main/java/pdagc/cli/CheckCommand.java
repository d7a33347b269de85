package pdagc.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import pdagc.driver.Compiler;
import pdagc.driver.MaterializedPlan;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code pdagc check FILE...}: every diagnostic of every deploy, no output files. */
@Command(name = "check", description = "Check .pdag files and report diagnostics only.", mixinStandardHelpOptions = true)
final class CheckCommand implements Callable<Integer> {
    private final PrintWriter out;
    private final PrintWriter err;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "the .pdag files to check")
    List<Path> files;

    CheckCommand(PrintWriter out, PrintWriter err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() {
        int worst = Main.OK;
        for (Path f : files) {
            Optional<Prefetch.Result> early = files.size() == 1 ? Prefetch.take("check", f, null) : Optional.empty();
            Compiler c = early.map(Prefetch.Result::compiler).orElseGet(() -> new Compiler(Set.of()));
            @SuppressWarnings("unchecked")
            List<MaterializedPlan> plans = early.isPresent() ? (List<MaterializedPlan>) early.get().value() : c.check(f, Reporting.display(f));
            int code = Reporting.report(c.diagnostics(), err);
            if (code == Main.OK) {
                for (pdagc.sem.SearchSpec s : c.searches()) {
                    out.println(Reporting.display(f) + ": search " + s.name() + " ok: " + s.model().name() + " on " + s.cluster().name() + " ("
                            + s.cluster().count() + " GPUs) for " + s.workload().name() + ", objective " + s.objective());
                }
                for (MaterializedPlan p : plans) {
                    out.println(Reporting.display(f) + ": deploy " + p.deployment().name() + " ok: " + p.spmd().mesh().size() + " GPUs, mesh "
                            + p.spmd().mesh() + ", " + p.spmd().nodes().size() + " ops in the SPMD program");
                }
            }
            worst = Math.max(worst, code);
        }
        out.flush();
        return worst;
    }
}
