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
 * A table with a {@code recompute} column holds training rows instead ({@link Training}): the
 * model's shapes are in the row, the deployment is Megatron-LM's GPT written inline
 * ({@link #trainingSource}) and the metric {@code step_time_s} is the training step's seconds.
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
            long output, String metric, double measured, String engine, String source, String expertDtype, Training training, String engineEnv,
            String kvDtype, String inputIds, double rate, long requests, double kvFraction) {

        public Row {
            if (requests < 0) throw new IllegalArgumentException("requests is " + requests + ": the benchmark's request count, or empty (not stated)");
            if (kvFraction < 0 || kvFraction > 1) {
                throw new IllegalArgumentException("kv_fraction is " + kvFraction + ": the share of free memory the KV cache takes, or empty (not stated)");
            }
            if (expertDtype == null || expertDtype.isBlank() || expertDtype.equalsIgnoreCase(dtype)) expertDtype = "";
            if (engineEnv == null) engineEnv = "";
            if (kvDtype == null || kvDtype.isBlank() || kvDtype.equalsIgnoreCase(dtype)) kvDtype = "";
            inputIds = inputIds == null ? "" : inputIds.trim().toLowerCase(Locale.ROOT);
            if (!inputIds.isEmpty() && !INPUT_IDS.contains(inputIds)) {
                throw new IllegalArgumentException("input_ids is " + inputIds + ": one of " + INPUT_IDS + " or empty (not stated)");
            }
        }

        /** A row whose benchmark's KV-cache share of free memory is not stated (the engine's default). */
        public Row(String id, String model, String config, String gpu, int gpus, int tp, int pp, int ep, String dtype, long batch, long input,
                long output, String metric, double measured, String engine, String source, String expertDtype, Training training, String engineEnv,
                String kvDtype, String inputIds, double rate, long requests) {
            this(id, model, config, gpu, gpus, tp, pp, ep, dtype, batch, input, output, metric, measured, engine, source, expertDtype, training, engineEnv,
                    kvDtype, inputIds, rate, requests, 0);
        }

        /** A row whose benchmark's request count is not stated. */
        public Row(String id, String model, String config, String gpu, int gpus, int tp, int pp, int ep, String dtype, long batch, long input,
                long output, String metric, double measured, String engine, String source, String expertDtype, Training training, String engineEnv,
                String kvDtype, String inputIds, double rate) {
            this(id, model, config, gpu, gpus, tp, pp, ep, dtype, batch, input, output, metric, measured, engine, source, expertDtype, training, engineEnv,
                    kvDtype, inputIds, rate, 0);
        }

        /** A row of a fixed batch or maximum load (no request rate). */
        public Row(String id, String model, String config, String gpu, int gpus, int tp, int pp, int ep, String dtype, long batch, long input,
                long output, String metric, double measured, String engine, String source, String expertDtype, Training training, String engineEnv,
                String kvDtype, String inputIds) {
            this(id, model, config, gpu, gpus, tp, pp, ep, dtype, batch, input, output, metric, measured, engine, source, expertDtype, training, engineEnv,
                    kvDtype, inputIds, 0);
        }

        /** A row whose benchmark's prompt tokens are not stated. */
        public Row(String id, String model, String config, String gpu, int gpus, int tp, int pp, int ep, String dtype, long batch, long input,
                long output, String metric, double measured, String engine, String source, String expertDtype, Training training, String engineEnv,
                String kvDtype) {
            this(id, model, config, gpu, gpus, tp, pp, ep, dtype, batch, input, output, metric, measured, engine, source, expertDtype, training, engineEnv,
                    kvDtype, "");
        }

        /** Whether every prompt position held the same token id, so that every token routes to the same experts. */
        public boolean repeatedInput() {
            return inputIds.equals("repeated");
        }

        /** A row whose KV cache is in its {@code dtype} (or not stated). */
        public Row(String id, String model, String config, String gpu, int gpus, int tp, int pp, int ep, String dtype, long batch, long input,
                long output, String metric, double measured, String engine, String source, String expertDtype, Training training, String engineEnv) {
            this(id, model, config, gpu, gpus, tp, pp, ep, dtype, batch, input, output, metric, measured, engine, source, expertDtype, training, engineEnv,
                    "");
        }

        /** A row whose engine ran with its default environment. */
        public Row(String id, String model, String config, String gpu, int gpus, int tp, int pp, int ep, String dtype, long batch, long input,
                long output, String metric, double measured, String engine, String source, String expertDtype, Training training) {
            this(id, model, config, gpu, gpus, tp, pp, ep, dtype, batch, input, output, metric, measured, engine, source, expertDtype, training, "");
        }

        /** A serving row. */
        public Row(String id, String model, String config, String gpu, int gpus, int tp, int pp, int ep, String dtype, long batch, long input,
                long output, String metric, double measured, String engine, String source, String expertDtype) {
            this(id, model, config, gpu, gpus, tp, pp, ep, dtype, batch, input, output, metric, measured, engine, source, expertDtype, null);
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
            if (training != null) {
                Training t = training;
                return String.format(Locale.ROOT, "%s, %d x %s %s, %stp %d pp %d%s, batch %d/%d, seq %d, %s%s", model, gpus, gpu, dtype,
                        t.dp() > 1 ? "dp " + t.dp() + " " : "", tp, pp, t.virtualStages() > 1 ? " v " + t.virtualStages() : "", batch, t.microBatch(),
                        t.seq(), t.sequenceParallel() ? "sp + " : "", t.recompute());
            }
            String par = "tp " + tp + (pp > 1 ? " pp " + pp : "") + (ep > 1 ? " ep " + ep : "");
            String types = expertDtype.isEmpty() ? dtype : dtype + " (experts " + expertDtype + ")";
            String load = rate > 0 ? number(rate) + " req/s" : "batch " + given(batch);
            return String.format(Locale.ROOT, "%s, %d x %s %s, %s, %s, in %s, out %s", model, gpus, gpu, types, par, load, given(input), given(output));
        }

        private static String given(long v) {
            return v > 0 ? Long.toString(v) : "?";
        }
    }

    /**
     * A training row's model and step, as Megatron-LM's GPT runs it: learned positions, LayerNorms and
     * linears with biases, a GELU MLP of {@code ffn}, tied embeddings, dropout at {@code dropout};
     * {@code batch} of the row is the global batch, split into micro-batches of {@code microBatch}
     * sequences; {@code recompute} {@code none}, {@code selective} or {@code full}.
     */
    public record Training(int hidden, int heads, int layers, int ffn, int vocab, int seq, int dp, int virtualStages, int microBatch,
            String recompute, boolean sequenceParallel, double dropout, String kernels, double networkGbps, double figure1States,
            double figure1Activations, boolean overlapGradReduce) {

        /** A run whose gradients' reduction is not overlapped with the backward pass. */
        public Training(int hidden, int heads, int layers, int ffn, int vocab, int seq, int dp, int virtualStages, int microBatch,
                String recompute, boolean sequenceParallel, double dropout, String kernels, double networkGbps, double figure1States,
                double figure1Activations) {
            this(hidden, heads, layers, ffn, vocab, seq, dp, virtualStages, microBatch, recompute, sequenceParallel, dropout, kernels, networkGbps,
                    figure1States, figure1Activations, false);
        }

        /** A run with the default kernels ({@code fused}) and network (the cluster's default), without measured memory. */
        public Training(int hidden, int heads, int layers, int ffn, int vocab, int seq, int dp, int virtualStages, int microBatch, String recompute,
                boolean sequenceParallel, double dropout) {
            this(hidden, heads, layers, ffn, vocab, seq, dp, virtualStages, microBatch, recompute, sequenceParallel, dropout, "", 0, Double.NaN,
                    Double.NaN);
        }

        /**
         * The FLOPs of one iteration of {@code batch} sequences by Narayanan et al. 2021's equation (3):
         * {@code 96·B·s·l·h²·(1 + s/(6h) + V/(16·l·h))}, the matrix products of the forward pass, the
         * backward pass and one recomputed forward pass (their Appendix), whatever the run recomputes.
         */
        public double narayananFlops(long batch) {
            double h = hidden, s = seq, l = layers, v = vocab;
            return 96 * batch * s * l * h * h * (1 + s / (6 * h) + v / (16 * l * h));
        }
    }

    /**
     * A row's prediction, or why there is none; for a training row also the largest GPU's memory
     * (bytes) and the seconds the compile took.
     */
    public record Result(Row row, double predicted, String problem, double memoryBytes, double compileSeconds, Memory memory, String note) {
        public Result(Row row, double predicted, String problem) {
            this(row, predicted, problem, Double.NaN, Double.NaN, null, "");
        }

        public Result(Row row, double predicted, String problem, double memoryBytes, double compileSeconds, Memory memory) {
            this(row, predicted, problem, memoryBytes, compileSeconds, memory, "");
        }

        /** A prediction with a note of the engine rules it applied (printed after the error). */
        public static Result noted(Row row, double predicted, String note) {
            return new Result(row, predicted, null, Double.NaN, Double.NaN, null, note == null ? "" : note);
        }

        public Result(Row row, double predicted, String problem, double memoryBytes, double compileSeconds) {
            this(row, predicted, problem, memoryBytes, compileSeconds, null);
        }

        /** (predicted - measured) / measured. */
        public double error() {
            return (predicted - row.measured()) / row.measured();
        }

        public boolean ok() {
            return problem == null;
        }
    }

    /**
     * What the benchmark fed as prompt tokens (the {@code input_ids} column): {@code repeated}, one
     * token id at every position (so every token routes to the same experts: {@code routing
     * identical}), or {@code random}; empty where the source does not say (real text, or unknown).
     */
    public static final List<String> INPUT_IDS = List.of("repeated", "random");

    /** The metrics a row may name. */
    public static final List<String> METRICS = List.of("ttft_ms", "tpot_ms", "e2e_ms", "throughput_tok_s", "throughput_tok_s_per_gpu");

    /**
     * The metrics a training row may name: {@code step_time_s} the seconds of one training step
     * (forward, backward, optimizer); {@code tflops_per_gpu} the achieved teraFLOP/s per GPU as
     * Narayanan et al. 2021 report it, their equation (3)'s FLOPs of the step
     * ({@link Training#narayananFlops}) over the GPUs and the step's seconds.
     */
    public static final List<String> TRAINING_METRICS = List.of("step_time_s", "tflops_per_gpu");

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
                    if (r.containsKey("recompute")) {
                        rows.add(trainingRow(r));
                        continue;
                    }
                    rows.add(new Row(r.get("id"), r.get("model"), r.getOrDefault("config", ""), r.get("gpu"), integer(r, "gpus", 1), integer(r, "tp", 1),
                            integer(r, "pp", 1), integer(r, "ep", 1), r.get("dtype"), integer(r, "batch", 0), integer(r, "input_len", 0),
                            integer(r, "output_len", 0),
                            r.get("metric"), Double.parseDouble(r.get("measured")), r.get("engine") + " " + r.getOrDefault("engine_version", ""),
                            r.get("source"), r.getOrDefault("expert_dtype", ""), null, r.getOrDefault("engine_env", ""), r.getOrDefault("kv_dtype", ""),
                            r.getOrDefault("input_ids", ""), r.getOrDefault("rate", "").isBlank() ? 0 : Double.parseDouble(r.get("rate").trim()),
                            integer(r, "requests", 0), r.getOrDefault("kv_fraction", "").isBlank() ? 0 : Double.parseDouble(r.get("kv_fraction").trim())));
                } catch (RuntimeException e) {
                    throw new IOException(csv.getFileName() + ": row " + line + ": " + e.getMessage(), e);
                }
            }
        }
        return rows;
    }

    /** A row of a training table (it has a {@code recompute} column). */
    private static Row trainingRow(Map<String, String> r) {
        int global = integer(r, "global_batch", 0), micro = integer(r, "micro_batch", 1);
        String sp = r.getOrDefault("sequence_parallel", "false").trim();
        Training t = new Training(integer(r, "hidden", 0), integer(r, "heads", 0), integer(r, "layers", 0), integer(r, "ffn", 0), integer(r, "vocab", 0),
                integer(r, "seq", 0), integer(r, "dp", 1), integer(r, "virtual_stages", 1), micro, r.get("recompute").trim(),
                sp.equalsIgnoreCase("true") || sp.equals("1"), r.getOrDefault("dropout", "").isBlank() ? 0 : Double.parseDouble(r.get("dropout")),
                r.getOrDefault("kernels", "").trim(), r.getOrDefault("network_gbps", "").isBlank() ? 0 : Double.parseDouble(r.get("network_gbps")),
                gib(r, "figure1_states_gib"), gib(r, "figure1_activations_gib"), bool(r, "overlap_grad_reduce"));
        return new Row(r.get("id"), r.get("model"), "", r.get("gpu"), integer(r, "gpus", 1), integer(r, "tp", 1), integer(r, "pp", 1), 1, r.get("dtype"),
                global, 0, 0, r.get("metric"), Double.parseDouble(r.get("measured")), r.getOrDefault("engine", "") + " " + r.getOrDefault("engine_version", ""),
                r.get("source"), "", t);
    }

    /** A column of true or false, false where absent or empty. */
    private static boolean bool(Map<String, String> r, String column) {
        String v = r.getOrDefault(column, "").trim();
        if (v.isEmpty() || v.equalsIgnoreCase("false") || v.equals("0")) return false;
        if (v.equalsIgnoreCase("true") || v.equals("1")) return true;
        throw new IllegalArgumentException(column + " is " + v + ": true or false");
    }

    /** A column in GiB as bytes, NaN where empty. */
    private static double gib(Map<String, String> r, String column) {
        String v = r.get(column);
        return v == null || v.isBlank() ? Double.NaN : Double.parseDouble(v.trim()) * (1L << 30);
    }

    private static int integer(Map<String, String> r, String column, int dflt) {
        String v = r.get(column);
        if (v == null || v.isBlank()) return dflt;
        return Integer.parseInt(v.trim());
    }

    /** Predicts {@code row}, its config read from {@code configs/<model>.config.json} beside the table. */
    public static Result predict(Row row, Path configs) {
        if (row.training() != null) return predictTraining(row);
        if (!METRICS.contains(row.metric())) return new Result(row, Double.NaN, "unknown metric " + row.metric() + "; one of " + METRICS);
        if (row.input() < 1 || row.output() < 1) return new Result(row, Double.NaN, "input or output length not stated");
        if (!row.kvDtype().isEmpty()) return new Result(row, Double.NaN, "a KV cache in " + row.kvDtype() + " with " + row.dtype() + " weights is not modelled (pdagc caches in the workload's type)");
        if (row.rate() <= 0 && row.batch() < 1 && !MaxLoad.knows(row)) {
            return new Result(row, Double.NaN, "the batch is not fixed (a maximum-load run of an engine whose scheduler is not modelled)");
        }
        if (row.rate() > 0 && row.batch() > 0) return new Result(row, Double.NaN, "a row has a fixed batch or a request rate, not both");
        if (row.ep() <= 1 && row.tp() * row.pp() != row.gpus()) return new Result(row, Double.NaN, "tp x pp is not the GPU count");
        if (row.ep() > 1 && (row.gpus() % (row.tp() * row.pp()) != 0 || (row.gpus() / row.pp()) % row.ep() != 0)) {
            return new Result(row, Double.NaN, "ep does not divide the GPUs of a pipeline stage (attention over dp x tp)");
        }
        if (row.config().isBlank()) return new Result(row, Double.NaN, "no Hugging Face config for " + row.model());
        Path config = configs.resolve(row.config() + ".config.json");
        Diagnostics diagnostics = new Diagnostics();
        Optional<HfImport.Result> model = HfImport.run(config, config.getFileName().toString(), "M", diagnostics);
        if (model.isEmpty()) return new Result(row, Double.NaN, "import: " + DiagnosticRenderer.render(diagnostics.sorted()));
        if (row.batch() < 1 && row.rate() <= 0) return MaxLoad.predict(row, model.get().text());
        Compiler c = new Compiler(Set.of());
        List<MaterializedPlan> plans = c.check(SourceFile.of(row.id() + ".pdag", null, source(row, model.get().text(), false)));
        if (c.diagnostics().hasErrors()) return new Result(row, Double.NaN, DiagnosticRenderer.render(c.diagnostics().sorted()));
        boolean perQueryHead = kvPerQueryHead(row, plans.get(0));
        if (perQueryHead) {
            c = new Compiler(Set.of());
            plans = c.check(SourceFile.of(row.id() + ".pdag", null, source(row, model.get().text(), true)));
            if (c.diagnostics().hasErrors()) return new Result(row, Double.NaN, DiagnosticRenderer.render(c.diagnostics().sorted()));
        }
        pdagc.analysis.Serving s = plans.get(0).analysis().serving();
        double value = switch (row.metric()) {
            case "ttft_ms" -> s.ttft() * 1e3;
            case "tpot_ms" -> s.tpot() * 1e3;
            case "e2e_ms" -> s.endToEnd() * 1e3;
            case "throughput_tok_s" -> s.throughput();
            default -> s.throughputPerGpu();
        };
        List<String> notes = new ArrayList<>();
        if (perQueryHead) notes.add("decode attention per query head");
        if (sm80Slower(row, plans.get(0))) notes.add("experts on SM 80 kernels");
        return Result.noted(row, value, String.join("; ", notes));
    }

    /**
     * Whether the row's engine runs the experts' grouped products on kernels built for SM 80
     * ({@code expert_kernels sm80}): TensorRT-LLM 0.9 and earlier. Its {@code MoeGemmRunner::dispatchToArch}
     * ({@code cpp/tensorrt_llm/kernels/cutlass_kernels/moe_gemm/moe_gemm_kernels_template.h} at the
     * commit of the 0.9.0 performance tables) sends SM 90 to {@code cutlass::arch::Sm80} ("TODO
     * Update the arch to Sm90 once CUTLASS hopper specialisations are available"); the same bound
     * as {@link #kvPerQueryHead}. Later versions: the GPU's own kernels.
     */
    static boolean sm80Experts(Row row) {
        return engineBefore(row.engine(), "TensorRT-LLM", 0, 10);
    }

    /** Whether {@link #sm80Experts} slows the row's plan: it has experts and its GPU runs SM 80's kernels below its own rate for their type. */
    private static boolean sm80Slower(Row row, MaterializedPlan plan) {
        if (!sm80Experts(row)) return false;
        pdagc.sem.GpuSpec gpu = plan.deployment().cluster().gpu();
        if (!gpu.sm80Slower(plan.deployment().workload().precision().experts())) return false;
        for (pdagc.dag.DagNode n : plan.dag().nodes()) if (n.op() instanceof pdagc.ir.Op.ExpertLinear) return true;
        return false;
    }

    /**
     * Predicts a training row: writes its model and deployment as pdagc source
     * ({@link #trainingSource}), compiles it and reads the training step's seconds.
     */
    static Result predictTraining(Row row) {
        Training t = row.training();
        if (!TRAINING_METRICS.contains(row.metric()))
            return new Result(row, Double.NaN, "unknown metric " + row.metric() + "; one of " + TRAINING_METRICS);
        if (t.dp() * row.tp() * row.pp() != row.gpus()) return new Result(row, Double.NaN, "dp x tp x pp is not the GPU count");
        if (t.microBatch() < 1 || row.batch() % ((long) t.microBatch() * t.dp()) != 0)
            return new Result(row, Double.NaN, "the global batch is not a whole number of micro-batches per data-parallel rank");
        long start = System.nanoTime();
        Compiler c = new Compiler(Set.of());
        List<MaterializedPlan> plans = c.check(SourceFile.of(row.id() + ".pdag", null, trainingSource(row)));
        double compile = (System.nanoTime() - start) / 1e9;
        if (c.diagnostics().hasErrors()) return new Result(row, Double.NaN, DiagnosticRenderer.render(c.diagnostics().sorted()), Double.NaN, compile);
        pdagc.analysis.Analysis a = plans.get(0).analysis();
        if (a.problem() != null) return new Result(row, Double.NaN, a.problem(), Double.NaN, compile);
        pdagc.analysis.Memory.PerGpu m = a.largestMemory().memory();
        double states = m.weightBytes() + m.gradientBytes() + m.optimizerBytes();
        double[] megatron = megatronMemory(row);
        Memory memory = new Memory(states, m.activationBytes(), m.workspaceBytes(), m.total(), megatron[0], megatron[1], t.figure1States(),
                t.figure1Activations());
        double seconds = a.step().seconds();
        double value = row.metric().equals("tflops_per_gpu") ? t.narayananFlops(row.batch()) / row.gpus() / seconds / 1e12 : seconds;
        return new Result(row, value, null, m.total(), compile, memory);
    }

    /**
     * A training row's memory per GPU (bytes): pdagc's largest GPU (model states: weights, gradients
     * and optimizer states; the activation peak; the collective workspace; the total), beside
     * Megatron-LM's own accounting of the run ({@link #megatronMemory}) and, where the table gives
     * them, the figures the paper measured (Korthikanti et al. 2022, Figure 1: parameters and
     * optimizer states, and activations, of the first pipeline stage; NaN where not given).
     */
    public record Memory(double modelStates, double activations, double workspace, double total, double megatronStates, double megatronActivations,
            double figure1States, double figure1Activations) {}

    /**
     * Megatron-LM's theoretical memory of a training row's first pipeline stage, per GPU, in bytes:
     * {@code megatron/training/theoretical_memory_usage.py} (NVIDIA/Megatron-LM at
     * 00caa53af30912914981c86f39db123961678bbd), for a GPT of LayerNorms and multi-head attention
     * with tied embeddings and no distributed optimizer. Weights and optimizer: the most loaded shard
     * ((the layers' parameters / pp + the embedding) / tp, a layer's parameters {@code 2h(ffn + 2) +
     * 4h²}: Megatron leaves the linears' biases out) at 18 bytes each (fp16 weights, fp32 gradients,
     * fp32 master weights and two moments). Activations: with sequence parallelism and selective
     * recomputation, Korthikanti et al.'s Table 2 per layer, {@code sbh(18 + 4·ffn/h)} over every
     * layer (pp stages of pp micro-batches in flight), the embedding's input and dropout, the
     * interleaved schedule's penalty {@code 1 + (p - 1)/(p·v)}, the output layer's inputs with pp 1,
     * over tp; otherwise the code's formula without sequence parallelism, {@code sbh(10 + 24/t)} per
     * layer and the same terms, times 1.05. That formula assumes no recomputation: for a row with
     * full recomputation the activations are NaN (Megatron's accounting has no figure for it).
     */
    static double[] megatronMemory(Row row) {
        Training t = row.training();
        double h = t.hidden(), ffn = t.ffn(), v = t.vocab(), s = t.seq(), b = t.microBatch(), layers = t.layers();
        double tp = row.tp(), pp = row.pp(), vp = t.virtualStages();
        double perLayer = 2 * h * (ffn + 2) + 4 * h * h;
        double embedding = h * v;
        double block = perLayer * layers + 2 * h;
        double states = (block / pp + embedding) / tp * 18;
        long m = row.batch() / ((long) t.microBatch() * t.dp());
        double act;
        boolean withSp = t.sequenceParallel() && t.recompute().equals("selective");
        act = withSp ? s * b * h * (18 + 4 * ffn / h) * layers : s * b * h * (10 + 24 / tp) * layers;
        act += 8 * s * b * pp + s * b * h * pp;
        if (vp > 1) act *= 1 + (pp - 1) / (pp * vp);
        else if (pp > 1) act *= Math.min(1, m / pp);
        if (withSp) {
            if (pp == 1) act += s * b * h * 4 * (1 + v / h);
            act /= tp;
        } else {
            if (pp == 1) act += (s * b * v / tp + s * b * h) * 2;
            act *= 1.05;
        }
        return new double[] {states, t.recompute().equals("full") ? Double.NaN : act};
    }

    /**
     * A training row as pdagc source: Megatron-LM's GPT (the standard library's GPT-2 blocks:
     * learned positions, LayerNorm and linears with biases, GELU, dropout where Megatron drops; the
     * head a final LayerNorm and the tied, vocabulary-parallel embedding), the row's GPUs 8 to a
     * node, a {@code [dp, pp, tp]} mesh, its micro-batches under 1F1B or the interleaved schedule,
     * its recomputation and sequence parallelism, and a training step of the global batch.
     */
    static String trainingSource(Row row) {
        Training t = row.training();
        StringBuilder b = new StringBuilder("import std.hardware\nimport std.blocks\n");
        b.append("model M {\n  vocab ").append(t.vocab()).append("  hidden ").append(t.hidden()).append("  heads ").append(t.heads()).append("  layers ")
                .append(t.layers()).append("  ffn ").append(t.ffn()).append("  positions ").append(t.seq()).append("\n");
        b.append("  norm layernorm  act gelu");
        if (t.dropout() > 0) b.append("  dropout ").append(t.dropout());
        b.append("\n  embed gpt2_embedding  layer gpt2_layer  head gpt2_head\n}\n");
        b.append("cluster C { gpu ").append(row.gpu()).append("  count ").append(row.gpus()).append("  per_node ").append(Math.min(8, row.gpus()));
        if (t.networkGbps() > 0) b.append("  network ").append(Fidelity.number(t.networkGbps())).append(" Gb/s");
        b.append(" }\n");
        b.append("workload W { batch ").append(row.batch()).append("  seq ").append(t.seq()).append("  phase train  dtype ")
                .append(row.dtype().toLowerCase(Locale.ROOT)).append("  optimizer adam");
        if (!t.kernels().isEmpty()) b.append("  kernels ").append(t.kernels());
        b.append(" }\n");
        b.append("strategy S {\n  mesh [");
        List<String> axes = new ArrayList<>();
        if (t.dp() > 1) axes.add("dp " + t.dp());
        if (row.pp() > 1) axes.add("pp " + row.pp());
        if (row.tp() > 1 || axes.isEmpty()) axes.add("tp " + row.tp());
        b.append(String.join(", ", axes)).append("]\n");
        if (t.sequenceParallel()) b.append("  sequence_parallel true\n");
        b.append("  micro_batches ").append(row.batch() / ((long) t.microBatch() * t.dp())).append("\n");
        if (row.pp() > 1) {
            b.append(t.virtualStages() > 1 ? "  schedule interleaved\n  virtual_stages " + t.virtualStages() + "\n" : "  schedule 1f1b\n");
        }
        if (!t.recompute().equals("none")) b.append("  recompute ").append(t.recompute()).append("\n");
        if (t.overlapGradReduce()) b.append("  overlap_grad_reduce true\n");
        b.append("}\n");
        b.append("deploy D = M on C with S for W\n");
        return b.toString();
    }

    /** A number as pdagc source: without a fraction where it has none. */
    static String number(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    /**
     * Whether the row's engine runs decode attention with a thread block per query head, each streaming
     * its key/value head ({@code decode_attention per_query_head}: HBM delivers it once, the L2 cache
     * serves the group's other blocks). TensorRT-LLM 0.9 and
     * earlier: its masked multi-head attention kernel does so for grouped-query models
     * ({@code cpp/tensorrt_llm/kernels/decoderMaskedMultiheadAttention/}: one thread block per query
     * head, {@code kv_head_idx = hi / qhead_per_kv}); its grouped kernels (XQA) replace it only where
     * the run enables them ({@code TRTLLM_ENABLE_XQA=1}, which 0.9.0's performance methodology calls
     * experimental, not enabled by default, and sets for LLaMA 70B and Falcon 180B) and their support
     * check accepts the shape (8 query heads per key/value head, head size 128:
     * {@code DecoderXQARunner::shouldUse}). Other engines and later versions: grouped.
     */
    static boolean kvPerQueryHead(Row row, MaterializedPlan plan) {
        if (!engineBefore(row.engine(), "TensorRT-LLM", 0, 10)) return false;
        for (pdagc.dag.DagNode n : plan.dag().nodes()) {
            if (!(n.op() instanceof pdagc.ir.Op.AttnScores a)) continue;
            long group = a.heads() / Math.max(1, a.kvHeads());
            if (group == 1) return false;
            boolean xqa = row.engineEnv().contains("TRTLLM_ENABLE_XQA=1") && group == 8 && a.headDim() == 128;
            return !xqa;
        }
        return false;
    }

    /** Whether {@code engine} ("name version ...") is {@code name} at a version before {@code major.minor}. */
    static boolean engineBefore(String engine, String name, int major, int minor) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^" + java.util.regex.Pattern.quote(name) + "\\s+(\\d+)\\.(\\d+)").matcher(engine);
        if (!m.find()) return false;
        int a = Integer.parseInt(m.group(1)), b = Integer.parseInt(m.group(2));
        return a < major || (a == major && b < minor);
    }

    /**
     * The workload's {@code routing} property for the row: {@code identical} where its benchmark fed
     * one token id at every prompt position (every position's hidden state is then the same, and so
     * is every router's choice), else {@code power_law}: a trained router's choices over varied
     * tokens are not balanced, and the skewed loads aiconfigurator times TensorRT-LLM's MoE layers
     * under for Mixtral-class models (a power law of exponent 1.2) are the nearest measured stand-in.
     * Dense models ignore it.
     */
    static String routing(Row row) {
        return row.repeatedInput() ? "  routing identical" : "  routing power_law";
    }

    static String source(Row row, String model) {
        return source(row, model, false);
    }

    /** The row's deployment as pdagc source; {@code kvPerQueryHead}: decode attention as {@link #kvPerQueryHead} says. */
    static String source(Row row, String model, boolean kvPerQueryHead) {
        String microBatches = row.pp() > 1 ? "  micro_batches " + (row.rate() > 0 ? row.pp() : Math.min(row.batch(), row.pp())) : "";
        String load = row.rate() > 0 ? "rate " + number(row.rate()) + " req/s" + (row.requests() > 0 ? "  requests " + row.requests() : "")
                : "batch " + row.batch();
        String workload = "workload W { " + load + "  input " + row.input() + "  output " + row.output() + "  dtype " + row.precision()
                + (kvPerQueryHead ? "  decode_attention per_query_head" : "") + (sm80Experts(row) ? "  expert_kernels sm80" : "") + routing(row) + " }";
        return deployment(row, model, microBatches, workload);
    }

    /**
     * The row's model, its GPUs (8 to a node) and mesh ({@link #mesh}, with {@code strategy} added to
     * the strategy's properties) deployed for {@code workload} (a whole declaration), as pdagc source.
     */
    static String deployment(Row row, String model, String strategy, String workload) {
        StringBuilder b = new StringBuilder(model).append("\nimport std.hardware\n");
        b.append("cluster C { gpu ").append(row.gpu()).append("  count ").append(row.gpus()).append("  per_node ").append(Math.min(8, row.gpus()))
                .append(" }\n");
        b.append("strategy S { ").append(mesh(row)).append(strategy).append(" }\n");
        b.append(workload).append('\n');
        b.append("deploy D = M on C with S for W\n");
        return b.toString();
    }

    /**
     * The row's mesh: pipeline stages, and in each the attention over its GPUs (tensor parallel, and
     * data parallel over what tp leaves where the row has more GPUs than tp x pp); with {@code ep}, the
     * experts folded over the same GPUs apart (Megatron's MoE parallel folding, as engines run
     * {@code --tp T --ep E}): {@code ep} ranks and expert tensor parallelism over the rest.
     */
    static String mesh(Row row) {
        int dp = row.ep() > 1 ? row.gpus() / (row.tp() * row.pp()) : 1;
        StringBuilder b = new StringBuilder("mesh [");
        if (row.pp() > 1) b.append("pp ").append(row.pp()).append(", ");
        if (dp > 1) b.append("dp ").append(dp).append(", ");
        b.append("tp ").append(row.tp()).append("]");
        if (row.ep() > 1) {
            int etp = dp * row.tp() / row.ep();
            b.append("  expert_mesh [ep ").append(row.ep()).append(etp > 1 ? ", etp " + etp : "").append("]");
        }
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
            if (r.ok() && row.training() != null) {
                Memory m = r.memory();
                String fig1 = Double.isNaN(m.figure1States()) ? ""
                        : String.format(Locale.ROOT, "; Figure 1 %.1f + %.1f GB", m.figure1States() / 1e9, m.figure1Activations() / 1e9);
                b.append(String.format(Locale.ROOT,
                        "%-28s %-84s %-16s %12.4g %12.4g %+7.1f%%   (memory per GPU %.1f GB: states %.1f + activations %.1f + workspace %.1f;"
                                + " Megatron's accounting %.1f + %s GB%s)%n",
                        row.id(), row.setup(), row.metric(), row.measured(), r.predicted(), 100 * r.error(), m.total() / 1e9, m.modelStates() / 1e9,
                        m.activations() / 1e9, m.workspace() / 1e9, m.megatronStates() / 1e9,
                        Double.isNaN(m.megatronActivations()) ? "n/a" : String.format(Locale.ROOT, "%.1f", m.megatronActivations() / 1e9), fig1));
            } else if (r.ok()) {
                b.append(String.format(Locale.ROOT, "%-28s %-84s %-16s %12.4g %12.4g %+7.1f%%%s%n", row.id(), row.setup(), row.metric(), row.measured(),
                        r.predicted(), 100 * r.error(), r.note().isEmpty() ? "" : "   (" + r.note() + ")"));
            } else {
                b.append(String.format(Locale.ROOT, "%-28s %-84s %-16s %12.4g %12s   (no prediction: %s)%n", row.id(), row.setup(), row.metric(),
                        row.measured(), "-", r.problem().lines().findFirst().orElse("")));
            }
        }
        b.append(groups(results));
        Summary s = summary(results);
        b.append(String.format(Locale.ROOT, "%d rows, %d predicted; mean absolute error %.1f %%, max %.1f %%%n", s.rows(), s.predicted(),
                100 * s.meanAbsError(), 100 * s.maxAbsError()));
        return b.toString();
    }

    /**
     * An engine as the table names it, short: its name, the first words of its parenthesis (the
     * backend or benchmark) and its version where the table gives one ("TensorRT-LLM, TensorRT
     * backend, 0.17"; "version not stated" where the version column says something else), at most
     * 52 characters.
     */
    static String engineLabel(String engine) {
        String e = engine.trim(), name = e, paren = "", rest = "";
        int open = e.indexOf(" (");
        if (open >= 0) {
            int close = e.indexOf(')', open);
            name = e.substring(0, open);
            paren = e.substring(open + 2, close < 0 ? e.length() : close);
            rest = close < 0 ? "" : e.substring(close + 1).trim();
        } else {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(.*?)\\s+(\\d[\\w.]*)$").matcher(e);
            if (m.matches()) {
                name = m.group(1);
                rest = m.group(2);
            }
        }
        String version = rest.isEmpty() ? "" : rest.matches("\\d[\\w.]*") ? rest : "version not stated";
        String label = name + (paren.isEmpty() ? "" : ", " + paren.split(",")[0].trim()) + (version.isEmpty() ? "" : ", " + version);
        return label.length() <= 52 ? label : label.substring(0, 51) + "…";
    }

    /**
     * The error by engine (with its version) and GPU, in the order they first appear: where the
     * predictions are close and where they are not, without a script over the rows.
     */
    static String groups(List<Result> results) {
        Map<String, List<Result>> by = new java.util.LinkedHashMap<>();
        for (Result r : results) by.computeIfAbsent(engineLabel(r.row().engine()) + " | " + r.row().gpu(), k -> new ArrayList<>()).add(r);
        if (by.size() < 2) return "";
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "by engine and GPU:%n"));
        for (Map.Entry<String, List<Result>> e : by.entrySet()) {
            Summary s = summary(e.getValue());
            String[] key = e.getKey().split(" \\| ", 2);
            b.append(String.format(Locale.ROOT, "  %-52s %-5s %4d rows, %4d predicted", key[0], key[1], s.rows(), s.predicted()));
            b.append(s.predicted() > 0 ? String.format(Locale.ROOT, "; mean %5.1f %%, max %5.1f %%%n", 100 * s.meanAbsError(), 100 * s.maxAbsError())
                    : String.format(Locale.ROOT, "%n"));
        }
        return b.toString();
    }
}
