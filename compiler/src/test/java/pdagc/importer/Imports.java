package pdagc.importer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import pdagc.cli.Main;
import pdagc.dag.Materialize;
import pdagc.dag.PlanDag;
import pdagc.diag.DiagnosticRenderer;
import pdagc.diag.Diagnostics;
import pdagc.driver.Compiler;
import pdagc.driver.MaterializedPlan;
import pdagc.front.Elaborator;
import pdagc.front.Loader;
import pdagc.lower.ModelStats;
import pdagc.program.Program;
import pdagc.sem.ModelSpec;
import pdagc.sem.Phase;
import pdagc.source.SourceFile;
import pdagc.spmd.SpmdNode;
import pdagc.spmd.SpmdProgram;
import pdagc.verify.Shrink;
import pdagc.verify.Verify;

/** Test helpers: import a config text, count a model text, verify a deployment text, run the command line. */
final class Imports {
    private Imports() {}

    /** The .pdag text of an imported config; fails the test on any diagnostic. */
    static String pdag(String json, String name) {
        Diagnostics d = new Diagnostics();
        Optional<HfImport.Result> r = HfImport.run(SourceFile.of("config.json", null, json), name, d);
        assertFalse(d.hasErrors(), () -> DiagnosticRenderer.render(d.sorted()));
        assertTrue(r.isPresent());
        return r.get().text();
    }

    /** The diagnostics of an import that must fail, rendered. */
    static String errors(String json) {
        Diagnostics d = new Diagnostics();
        Optional<HfImport.Result> r = HfImport.run(SourceFile.of("config.json", null, json), "M", d);
        assertTrue(r.isEmpty(), "the import should fail");
        assertTrue(d.hasErrors());
        return DiagnosticRenderer.render(d.sorted());
    }

    /** The counts of the only model of a .pdag text. */
    static ModelStats stats(String pdag) {
        Diagnostics d = new Diagnostics();
        Program p = new Loader(d).loadRoot(SourceFile.of("model.pdag", null, pdag)).orElseThrow();
        List<ModelSpec> models = new Elaborator(p, d).rootModels();
        assertFalse(d.hasErrors(), () -> DiagnosticRenderer.render(d.sorted()));
        assertEquals(1, models.size());
        ModelStats s = ModelStats.of(models.get(0), p, d).orElseThrow();
        assertFalse(d.hasErrors(), () -> DiagnosticRenderer.render(d.sorted()));
        return s;
    }

    static ModelStats importAndCount(String json) {
        return stats(pdag(json, "M"));
    }

    /** Shrinks every deploy of a source and verifies it against the unpartitioned model. */
    static List<Verify.Report> verify(String source) {
        return verify(source, Map.of());
    }

    /** Verifies with shard overrides ({@code "name@gpu"} -> the rank whose weight shard that node loads), to break plans. */
    static List<Verify.Report> verify(String source, Map<String, Integer> swap) {
        return verify(source, swap, null);
    }

    /** Verifies the plans with the op named {@code removed} taken out (its uses read its input), to break plans. */
    static List<Verify.Report> verifyWithout(String source, String removed) {
        return verify(source, Map.of(), removed);
    }

    private static List<Verify.Report> verify(String source, Map<String, Integer> swap, String removed) {
        Compiler c = new Compiler(Set.of()).rewriting(dep -> Shrink.run(dep).deployment());
        List<MaterializedPlan> plans = c.check(SourceFile.of("deploy.pdag", null, source));
        assertFalse(c.diagnostics().hasErrors(), () -> DiagnosticRenderer.render(c.diagnostics().sorted()));
        assertFalse(plans.isEmpty(), "no deploy");
        List<Verify.Report> out = new ArrayList<>();
        for (MaterializedPlan plan : plans) {
            Map<Integer, Integer> override = new java.util.HashMap<>();
            swap.forEach((key, rank) -> {
                String[] nameGpu = key.split("@");
                plan.dag().nodes().stream()
                        .filter(n -> n.name().equals(nameGpu[0]) && n.gpu() == Integer.parseInt(nameGpu[1]))
                        .forEach(n -> override.put(n.index(), rank));
            });
            assertEquals(swap.size(), override.size(), "every swapped node was found");
            boolean decode = plan.deployment().workload().phase() == Phase.DECODE;
            SpmdProgram program = removed == null ? plan.spmd() : without(plan.spmd(), removed);
            PlanDag dag = removed == null ? plan.dag() : Materialize.run("broken", "broken", program, plan.deployment().cluster().perNode());
            out.add(Verify.run(plan.graph(), program, dag, 1, decode, (int) plan.deployment().workload().context(), override));
        }
        return out;
    }

    /** The program with one op removed and its uses rewired to its first input (one home: the verify tests). */
    static SpmdProgram without(SpmdProgram p, String name) {
        return pdagc.verify.VerifyTest.without(p, name);
    }

    /** A command line run in-process: exit code, stdout and stderr. */
    record Run(int code, String out, String err) {}

    static Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }
}
