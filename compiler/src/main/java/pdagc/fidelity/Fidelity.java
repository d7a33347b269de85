package pdagc.fidelity;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import pdagc.diag.DiagnosticRenderer;
import pdagc.diag.Diagnostics;
import pdagc.driver.Compiler;
import pdagc.driver.MaterializedPlan;
import pdagc.importer.HfImport;
import pdagc.source.SourceFile;

/**
 * Holds pdagc's serving predictions against measured runs: each row of a table names a published
 * measurement (model config, GPU, GPUs, tp / pp, dtype and the experts' where the engine ran them in
 * another, batch, input and output lengths, the metric
 * and its measured value, the engine and the source). pdagc imports the row's Hugging Face config,
 * writes the deployment as a {@code .pdag} source (the row's GPU from {@code std.hardware}, 8 to a
 * node, a tensor- and pipeline-parallel mesh, a serving workload of the row's batch, input and
 * output lengths), compiles it like any other and reads the metric off the serving figures
 * ({@link pdagc.analysis.Serving}): {@code ttft_ms} the prefill step, {@code tpot_ms} the mean
 * decode step, {@code e2e_ms} TTFT + (output - 1) · TPOT, {@code throughput_tok_s} output tokens
 * per second over all GPUs and {@code throughput_tok_s_per_gpu} over the GPU count (a static
 * batch, as the engines' fixed-batch benchmarks run it).
 * Rows whose setup the runner cannot rebuild (a batch that is not fixed, lengths not stated, no
 * config, a GPU that {@code std.hardware} lacks) are printed without a prediction and left out of
 * the error.
 * No constant depends on a row: the figures come from the same cost model every plan uses.
 */
public final class Fidelity {
    private Fidelity() {}

    /**
     * One measured result and its setup. {@code expertDtype}: the element type the engine ran the
     * experts in, where it differs from {@code dtype} (the table's {@code expert_dtype} column); empty
     * or equal to {@code dtype} otherwise.
     */
    public record Row(String id, String model, String config, String gpu, int gpus, int tp, int pp, int ep, String dtype, long batch, long input,
            long output, String metric, double measured, String engine, String source, String expertDtype) {

        public Row {
            if (expertDtype == null || expertDtype.isBlank() || expertDtype.equalsIgnoreCase(dtype)) expertDtype = "";
        }

        /** A row whose experts run in its {@code dtype}. */
        public Row(String id, String model, String config, String gpu, int gpus, int tp, int pp, int ep, String dtype, long batch, long input,
                long output, String metric, double measured, String engine, String source) {
            this(id, model, config, gpu, gpus, tp, pp, ep, dtype, batch, input, output, metric, measured, engine, source, "");
        }

        /** The element types as the workload states them: {@code fp8}, or {@code fp8 { experts fp16 }}. */
        public String precision() {
            String d = dtype.toLowerCase(Locale.ROOT);
            return expertDtype.isEmpty() ? d : d + " { experts " + expertDtype.toLowerCase(Locale.ROOT) + " }";
        }

        /** The setup in a few words, for the table. */
        public String setup() {
            String par = "tp " + tp + (pp > 1 ? " pp " + pp : "") + (ep > 1 ? " ep " + ep : "");
            String types = expertDtype.isEmpty() ? dtype : dtype + " (experts " + expertDtype + ")";
            return String.format(Locale.ROOT, "%s, %d x %s %s, %s, batch %s, in %s, out %s", model, gpus, gpu, types, par, given(batch), given(input),
                    given(output));
        }

        private static String given(long v) {
            return v > 0 ? Long.toString(v) : "?";
        }
    }

    /** A row's prediction, or why there is none. */
    public record Result(Row row, double predicted, String problem) {
        /** (predicted - measured) / measured. */
        public double error() {
            return (predicted - row.measured()) / row.measured();
        }

        public boolean ok() {
            return problem == null;
        }
    }

    /** The metrics a row may name. */
    public static final List<String> METRICS = List.of("ttft_ms", "tpot_ms", "e2e_ms", "throughput_tok_s", "throughput_tok_s_per_gpu");

    /** Reads a table: a CSV file with a header line naming the columns (extra columns are ignored). */
    public static List<Row> read(Path csv) throws IOException {
        CsvMapper mapper = new CsvMapper();
        CsvSchema schema = CsvSchema.emptySchema().withHeader().withComments();
        List<Row> rows = new ArrayList<>();
        try (MappingIterator<Map<String, String>> it = mapper.readerFor(Map.class).with(schema).readValues(csv.toFile())) {
            int line = 1;
            while (it.hasNext()) {
                Map<String, String> r = it.next();
                line++;
                try {
                    rows.add(new Row(r.get("id"), r.get("model"), r.getOrDefault("config", ""), r.get("gpu"), integer(r, "gpus", 1), integer(r, "tp", 1),
                            integer(r, "pp", 1), integer(r, "ep", 1), r.get("dtype"), integer(r, "batch", 0), integer(r, "input_len", 0),
                            integer(r, "output_len", 0),
                            r.get("metric"), Double.parseDouble(r.get("measured")), r.get("engine") + " " + r.getOrDefault("engine_version", ""),
                            r.get("source"), r.getOrDefault("expert_dtype", "")));
                } catch (RuntimeException e) {
                    throw new IOException(csv.getFileName() + ": row " + line + ": " + e.getMessage(), e);
                }
            }
        }
        return rows;
    }

    private static int integer(Map<String, String> r, String column, int dflt) {
        String v = r.get(column);
        if (v == null || v.isBlank()) return dflt;
        return Integer.parseInt(v.trim());
    }

    /** Predicts {@code row}, its config read from {@code configs/<model>.config.json} beside the table. */
    public static Result predict(Row row, Path configs) {
        if (!METRICS.contains(row.metric())) return new Result(row, Double.NaN, "unknown metric " + row.metric() + "; one of " + METRICS);
        if (row.batch() < 1) return new Result(row, Double.NaN, "the batch is not fixed (a maximum-load run)");
        if (row.input() < 1 || row.output() < 1) return new Result(row, Double.NaN, "input or output length not stated");
        if (row.ep() > 1) return new Result(row, Double.NaN, "expert-parallel serving rows are not modelled by this table's runner yet");
        if (row.tp() * row.pp() != row.gpus()) return new Result(row, Double.NaN, "tp x pp is not the GPU count");
        if (row.config().isBlank()) return new Result(row, Double.NaN, "no Hugging Face config for " + row.model());
        Path config = configs.resolve(row.config() + ".config.json");
        Diagnostics diagnostics = new Diagnostics();
        Optional<HfImport.Result> model = HfImport.run(config, config.getFileName().toString(), "M", diagnostics);
        if (model.isEmpty()) return new Result(row, Double.NaN, "import: " + DiagnosticRenderer.render(diagnostics.sorted()));
        Compiler c = new Compiler(Set.of());
        List<MaterializedPlan> plans = c.check(SourceFile.of(row.id() + ".pdag", null, source(row, model.get().text())));
        if (c.diagnostics().hasErrors()) return new Result(row, Double.NaN, DiagnosticRenderer.render(c.diagnostics().sorted()));
        pdagc.analysis.Serving s = plans.get(0).analysis().serving();
        double value = switch (row.metric()) {
            case "ttft_ms" -> s.ttft() * 1e3;
            case "tpot_ms" -> s.tpot() * 1e3;
            case "e2e_ms" -> s.endToEnd() * 1e3;
            case "throughput_tok_s" -> s.throughput();
            default -> s.throughputPerGpu();
        };
        return new Result(row, value, null);
    }

    /** The deployment of a row as pdagc source: the imported model, the cluster, the strategy and its serving workload. */
    static String source(Row row, String model) {
        StringBuilder b = new StringBuilder(model).append("\nimport std.hardware\n");
        b.append("cluster C { gpu ").append(row.gpu()).append("  count ").append(row.gpus()).append("  per_node ").append(Math.min(8, row.gpus()))
                .append(" }\n");
        b.append("strategy S { mesh [");
        if (row.pp() > 1) b.append("pp ").append(row.pp()).append(", ");
        b.append("tp ").append(row.tp()).append("]");
        if (row.pp() > 1) b.append("  micro_batches ").append(Math.min(row.batch(), row.pp()));
        b.append(" }\n");
        b.append("workload W { batch ").append(row.batch()).append("  input ").append(row.input()).append("  output ").append(row.output())
                .append("  dtype ").append(row.precision()).append(" }\n");
        b.append("deploy D = M on C with S for W\n");
        return b.toString();
    }

    /** Mean and largest absolute error over the rows that have a prediction. */
    public record Summary(int rows, int predicted, double meanAbsError, double maxAbsError) {}

    public static Summary summary(List<Result> results) {
        double sum = 0, max = 0;
        int n = 0;
        for (Result r : results) {
            if (!r.ok()) continue;
            double e = Math.abs(r.error());
            sum += e;
            max = Math.max(max, e);
            n++;
        }
        return new Summary(results.size(), n, n > 0 ? sum / n : Double.NaN, max);
    }

    /** The table as text: one line per row, then the mean and max absolute error. */
    public static String table(List<Result> results) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%-28s %-84s %-16s %12s %12s %8s%n", "id", "setup", "metric", "measured", "predicted", "error"));
        for (Result r : results) {
            Row row = r.row();
            if (r.ok()) {
                b.append(String.format(Locale.ROOT, "%-28s %-84s %-16s %12.4g %12.4g %+7.1f%%%n", row.id(), row.setup(), row.metric(), row.measured(),
                        r.predicted(), 100 * r.error()));
            } else {
                b.append(String.format(Locale.ROOT, "%-28s %-84s %-16s %12.4g %12s   (no prediction: %s)%n", row.id(), row.setup(), row.metric(),
                        row.measured(), "-", r.problem().lines().findFirst().orElse("")));
            }
        }
        Summary s = summary(results);
        b.append(String.format(Locale.ROOT, "%d rows, %d predicted; mean absolute error %.1f %%, max %.1f %%%n", s.rows(), s.predicted(),
                100 * s.meanAbsError(), 100 * s.maxAbsError()));
        return b.toString();
    }
}
