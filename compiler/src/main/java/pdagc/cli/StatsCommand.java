package pdagc.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import pdagc.diag.Diags;
import pdagc.diag.Diagnostics;
import pdagc.front.Elaborator;
import pdagc.front.Loader;
import pdagc.lower.ModelStats;
import pdagc.program.Program;
import pdagc.sem.ModelSpec;
import pdagc.source.Span;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code pdagc stats FILE [--json]}: a model's parameters (total, and active per token), its KV
 * cache per token and its multi-token-prediction parameters, counted from its logical IR by
 * {@link ModelStats}. A file with deploys and no model of its own counts the models they deploy.
 */
@Command(name = "stats", mixinStandardHelpOptions = true,
        description = "Count a model's parameters (total and active per token), KV cache per token and MTP parameters.")
final class StatsCommand implements Callable<Integer> {
    private final PrintWriter out;
    private final PrintWriter err;

    @Parameters(index = "0", paramLabel = "FILE", description = "a .pdag file with a model, or with deploys")
    Path file;

    @Option(names = "--json", description = "print total_params, active_params, kv_cache_bytes_per_token and mtp_params as JSON")
    boolean json;

    @Option(names = "--model", paramLabel = "NAME", description = "which model, when FILE has several")
    String model;

    StatsCommand(PrintWriter out, PrintWriter err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() {
        Diagnostics diagnostics = new Diagnostics();
        Optional<Program> program = new Loader(diagnostics).loadRoot(file, Reporting.display(file));
        List<ModelStats> stats = new ArrayList<>();
        List<String> names = new ArrayList<>();
        if (program.isPresent()) {
            List<ModelSpec> models = new Elaborator(program.get(), diagnostics).rootModels();
            for (ModelSpec m : models) names.add(m.name());
            if (models.isEmpty() && !diagnostics.hasErrors()) {
                var f = program.get().root().unit().file();
                diagnostics.add(Diags.noModel(new Span(f, 0, Math.min(1, f.text().length())), f.displayName()));
            }
            for (ModelSpec m : models) {
                if (model == null || m.name().equals(model)) ModelStats.of(m, program.get(), diagnostics).ifPresent(stats::add);
            }
        }
        int code = Reporting.report(diagnostics, err, "could not count " + Reporting.display(file));
        if (code != Main.OK) return code;
        if (model != null && stats.isEmpty()) {
            err.println("error: no model `" + model + "` in " + Reporting.display(file) + "; it has: " + String.join(", ", names));
            return Main.USAGE;
        }
        if (json && stats.size() > 1) {
            err.println("error: " + Reporting.display(file) + " has " + stats.size() + " models (" + String.join(", ", names) + "); pick one with --model");
            return Main.USAGE;
        }
        for (ModelStats s : stats) out.print(json ? json(s) : text(s));
        out.flush();
        return Main.OK;
    }

    static String json(ModelStats s) {
        ObjectNode o = new ObjectMapper().createObjectNode();
        o.put("total_params", s.totalParams());
        o.put("active_params", s.activeParams());
        o.put("kv_cache_bytes_per_token", s.kvCacheBytesPerToken());
        if (s.mtpModules() > 0) o.put("mtp_params", s.mtpParams());
        return o.toString() + "\n";
    }

    static String text(ModelStats s) {
        StringBuilder b = new StringBuilder();
        b.append("model ").append(s.model()).append('\n');
        b.append(row("total params", s.totalParams(), billions(s.totalParams())));
        b.append(row("active params per token", s.activeParams(), billions(s.activeParams())));
        b.append(row("KV cache per token", s.kvCacheBytesPerToken(), "bytes, bf16"));
        if (s.mtpModules() > 0) {
            b.append(row("MTP params", s.mtpParams(), billions(s.mtpParams()) + ", " + s.mtpModules() + " module" + (s.mtpModules() == 1 ? "" : "s")
                    + ", not in the totals"));
        }
        return b.toString();
    }

    private static String row(String what, long value, String note) {
        return String.format(Locale.ROOT, "  %-24s %,20d  (%s)%n", what, value, note);
    }

    private static String billions(long n) {
        return String.format(Locale.ROOT, "%.2f B", n / 1e9);
    }
}
