package pdagc.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import pdagc.driver.Compiler;
import pdagc.driver.MaterializedPlan;
import pdagc.sem.Deployment;
import pdagc.verify.Shrink;
import pdagc.verify.Verify;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code pdagc verify FILE}: shrinks the deployment to tiny shapes, runs its per-GPU DAG and the
 * unpartitioned model on the same weights, and exits 0 only when they agree.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Prove a plan right: run it on tiny shapes and compare with the unpartitioned model.")
final class VerifyCommand implements Callable<Integer> {
    private final PrintWriter out;
    private final PrintWriter err;

    @Parameters(index = "0", paramLabel = "FILE", description = "the .pdag file")
    Path file;

    @Option(names = "--deploy", paramLabel = "NAME", description = "which deploy to verify (default: all)")
    String deploy;

    @Option(names = "--seed", paramLabel = "N", description = "seed of the random weights and tokens (default: ${DEFAULT-VALUE})")
    long seed = 1;

    VerifyCommand(PrintWriter out, PrintWriter err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() {
        // The plan proven is the plan checked: a deployment that `check` refuses at its real sizes
        // is refused here too, before shrinking could hide what makes it illegal.
        Compiler full = new Compiler(Set.of());
        List<MaterializedPlan> real = full.check(file, Reporting.display(file));
        if (full.diagnostics().hasErrors()) return Reporting.report(full.diagnostics(), err);
        // The notes of each shrunk deployment, by identity: a serving workload is shrunk once per step.
        Map<Deployment, List<String>> notes = new IdentityHashMap<>();
        Compiler compiler = new Compiler(Set.of()).rewriting(d -> {
            Shrink.Result r = Shrink.run(d);
            notes.put(r.deployment(), r.notes());
            return r.deployment();
        });
        List<MaterializedPlan> plans = compiler.check(file, Reporting.display(file));
        int code = Reporting.report(compiler.diagnostics(), err);
        if (code != Main.OK) return code;
        int result = Main.OK;
        for (int p = 0; p < plans.size(); p++) {
            MaterializedPlan plan = plans.get(p);
            if (deploy != null && !plan.deployment().name().equals(deploy)) continue;
            // A serving workload's plans: its prefill step and its decode steps at the first and last contexts.
            List<MaterializedPlan> steps = plan.steps();
            List<MaterializedPlan> realSteps = p < real.size() ? real.get(p).steps() : List.of();
            for (int k = 0; k < steps.size(); k++) {
                MaterializedPlan step = steps.get(k);
                String which = plan.servingSteps().isEmpty() ? "" : " (" + step.deployment().workload().phase().keyword() + " step of serving workload "
                        + step.deployment().workload().name() + ")";
                out.println("verify " + step.deployment().name() + which + " on " + step.spmd().mesh().size() + " GPUs, mesh " + step.spmd().mesh()
                        + ", at tiny shapes:");
                for (String n : notes.getOrDefault(step.deployment(), List.of())) out.println("  " + n);
                // The proof is of the plan check accepted only if the tiny plan makes its moves: else shrinking is wrong (a bug).
                String differ = k < realSteps.size() ? pdagc.verify.Moves.differ(realSteps.get(k).spmd(), step.spmd()) : "no real plan to compare";
                if (differ != null) {
                    out.println("  not verified: the tiny plan does not make the real plan's moves (a bug in pdagc's shrinking): " + differ);
                    result = Main.INTERNAL;
                    continue;
                }
                out.println("  the tiny plan makes the real plan's " + pdagc.verify.Moves.of(step.spmd()).size()
                        + " moves (each kind of op and collective with its sharding)");
                Verify.Report report = step.verify(seed);
                out.println("  " + report.summary() + "; tolerance " + Verify.TOLERANCE + " x max(1, |value|)");
                if (!report.ok() && result == Main.OK) result = Main.INPUT_ERRORS;
            }
        }
        out.flush();
        return result;
    }
}
