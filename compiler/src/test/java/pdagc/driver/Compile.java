package pdagc.driver;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import pdagc.Repo;
import pdagc.diag.DiagnosticRenderer;
import pdagc.source.SourceFile;

/** Test helpers that run the pipeline on repository files and on inline sources. */
public final class Compile {
    private Compile() {}

    public static MaterializedPlan file(String relative) {
        Compiler c = new Compiler(Set.of());
        Optional<MaterializedPlan> plan = c.compile(Repo.file(relative), relative, null);
        assertFalse(c.diagnostics().hasErrors(), () -> DiagnosticRenderer.render(c.diagnostics().sorted()));
        assertTrue(plan.isPresent());
        return plan.get();
    }

    /** Compiles inline source (a deploy plus whatever it needs; stdlib is always loaded). */
    public static MaterializedPlan source(String text) {
        Compiler c = new Compiler(Set.of());
        List<MaterializedPlan> plans = c.check(SourceFile.of("inline.pdag", null, text));
        assertFalse(c.diagnostics().hasErrors(), () -> DiagnosticRenderer.render(c.diagnostics().sorted()));
        assertTrue(plans.size() == 1, "one deploy expected");
        return plans.get(0);
    }

    public static Path root() {
        return Repo.root();
    }
}
