package pdagc.javagen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import pdagc.Repo;
import pdagc.diag.DiagnosticRenderer;
import pdagc.driver.Compiler;
import pdagc.driver.MaterializedPlan;
import pdagc.runtime.CollectiveSemantics;
import pdagc.runtime.ReferenceModel;
import pdagc.runtime.ReferenceRuntime;
import pdagc.sem.Phase;
import pdagc.source.SourceFile;
import pdagc.verify.Shrink;
import pdagc.verify.Verify;

/**
 * Test helpers for the Java backend: plans shrunk to tiny shapes as {@code pdagc verify} shrinks
 * them, their generated sources compiled in memory, run on the reference runtime and compared with
 * the unpartitioned model.
 */
final class GeneratedPlans {
    static final long SEED = 1;

    private GeneratedPlans() {}

    /** The only deploy of a repository file, shrunk, materialized and validated. */
    static MaterializedPlan shrunk(String relative) {
        Compiler c = new Compiler(Set.of()).rewriting(d -> Shrink.run(d).deployment());
        return only(c, c.check(Repo.file(relative), relative));
    }

    /** The only deploy of inline source, shrunk, materialized and validated. */
    static MaterializedPlan shrunk(SourceFile file) {
        Compiler c = new Compiler(Set.of()).rewriting(d -> Shrink.run(d).deployment());
        return only(c, c.check(file));
    }

    private static MaterializedPlan only(Compiler c, List<MaterializedPlan> plans) {
        assertFalse(c.diagnostics().hasErrors(), () -> DiagnosticRenderer.render(c.diagnostics().sorted()));
        assertEquals(1, plans.size());
        return plans.get(0);
    }

    /** The generated sources by path. */
    static Map<String, String> sources(MaterializedPlan plan) {
        Map<String, String> out = new LinkedHashMap<>();
        for (JavaBackend.Source s : JavaBackend.generate(plan.deployment(), plan.graph(), plan.spmd())) out.put(s.path(), s.text());
        return out;
    }

    /** The sources compiled under -Xlint:all -Werror; fails the test with javac's messages otherwise. */
    static InMemoryJavac.Result compile(Map<String, String> sources) {
        InMemoryJavac.Result r = InMemoryJavac.compile(sources);
        assertTrue(r.ok(), () -> String.join("\n", r.messages()));
        assertEquals(List.of(), r.messages(), "no warnings");
        return r;
    }

    static String planClass(MaterializedPlan plan) {
        return GeneratedTypes.of(plan.deployment().name(), plan.spmd().pipeline().stages()).plan().canonicalName();
    }

    static ReferenceRuntime runtime(MaterializedPlan plan) {
        return new ReferenceRuntime(new ReferenceModel(plan.graph(), SEED)).withTimeout(Duration.ofSeconds(20));
    }

    /** Generates, compiles and runs the plan, and compares every value it made with the model's. */
    static Verify.Report runAndCompare(MaterializedPlan plan, CollectiveSemantics collectives) throws ClassNotFoundException {
        return runAndCompareCompiled(plan, compile(sources(plan)).load(planClass(plan)), collectives);
    }

    /** Runs the plan's compiled entry point and compares every value it made with the model's. */
    static Verify.Report runAndCompareCompiled(MaterializedPlan plan, Class<?> main, CollectiveSemantics collectives) {
        ReferenceRuntime.Run run = runtime(plan).withCollectives(collectives).run(main);
        boolean decode = plan.deployment().workload().phase() == Phase.DECODE;
        return Verify.compare(plan.graph(), plan.spmd(), plan.dag(), SEED, decode, (int) plan.deployment().workload().context(), run.valuesOf(plan.dag()));
    }
}
