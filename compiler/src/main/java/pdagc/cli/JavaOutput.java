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
        List<JavaBackend.Source> sources = JavaBackend.generate(plan.deployment(), plan.graph(), plan.spmd());
        List<OutputDirectory.Entry> entries = new ArrayList<>();
        for (JavaBackend.Source s : sources) entries.add(new OutputDirectory.Entry(s.path(), s.text().getBytes(StandardCharsets.UTF_8)));
        int code = OutputDirectory.write(output, entries, err);
        if (code == Main.OK) err.println("pdagc: wrote " + entries.size() + " Java sources below " + output);
        return code;
    }
}
