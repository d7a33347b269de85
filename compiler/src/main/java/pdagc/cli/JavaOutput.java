package pdagc.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import pdagc.driver.MaterializedPlan;
import pdagc.javagen.JavaBackend;

/** {@code --emit java -o DIR}: the plan's executor stubs, written below DIR all or nothing. */
final class JavaOutput {
    private JavaOutput() {}

    static int emit(MaterializedPlan plan, Path output, PrintWriter err) {
        if (output == null || output.toString().equals("-")) {
            err.println("error: --emit java writes several files: name their directory with -o DIR");
            return Main.USAGE;
        }
        if (plan.deployment().workload().phase() == pdagc.sem.Phase.TRAIN) {
            // The runtime has no backward kernels: a limitation, said at the workload's phase.
            pdagc.diag.Diagnostics d = new pdagc.diag.Diagnostics();
            pdagc.sem.WorkloadSpec w = plan.deployment().workload();
            d.add(pdagc.diag.Diags.javaStubsForTraining(w.spans().getOrDefault("phase", w.span())));
            err.print(pdagc.diag.DiagnosticRenderer.render(d.sorted()));
            err.println("error: could not write the Java stubs: 1 error");
            return Main.INPUT_ERRORS;
        }
        List<JavaBackend.Source> sources;
        try {
            sources = JavaBackend.generate(plan.deployment(), plan.graph(), plan.spmd());
        } catch (JavaBackend.Unsupported e) {
            err.println("error: " + e.getMessage());
            return Main.INPUT_ERRORS;
        }
        List<OutputDirectory.Entry> entries = new ArrayList<>();
        for (JavaBackend.Source s : sources) entries.add(new OutputDirectory.Entry(s.path(), s.text().getBytes(StandardCharsets.UTF_8)));
        int code = OutputDirectory.write(output, entries, err);
        if (code == Main.OK) err.println("pdagc: wrote " + entries.size() + " Java sources below " + output);
        return code;
    }
}
