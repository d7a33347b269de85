package pdagc.backend;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.util.List;
import pdagc.analysis.Analysis;
import pdagc.analysis.Memory;
import pdagc.analysis.Requirements;
import pdagc.analysis.Serving;
import pdagc.dag.PlanDag;
import pdagc.sem.Requirement;

/**
 * The plan file's {@code analysis} section: the same figures as the text report, in base units
 * (bytes, FLOPs, seconds, tokens per second), keys in a fixed order, {@code null} for a figure the
 * workload does not have (TTFT of a decode step). Kept apart from {@link JsonBackend} so that the
 * plan writer stays about the DAG.
 *
 * <pre>
 * "analysis":{"model":{"kv_cache_bytes_per_token":32768},
 *   "step":{"phase":"prefill","tokens":16384,"seconds":0.002,"ttft_s":0.002,"tpot_s":null,...},
 *   "gpus":[{"gpu":0,"weights_bytes":...,"memory_bytes":...,"flops":...,"compute_s":...}, ...],
 *   "roles":[{"role":0,"gpus":[0,...],...}], "totals":{...}, "requirements":[{"metric":"ttft",...}]}
 * </pre>
 */
final class JsonAnalysis {
    private JsonAnalysis() {}

    static void write(JsonGenerator g, PlanDag plan, Analysis a) throws IOException {
        g.writeObjectFieldStart("analysis");
        g.writeObjectFieldStart("model");
        g.writeNumberField("kv_cache_bytes_per_token", a.kvBytesPerToken());
        g.writeEndObject();
        step(g, a.step(), plan);
        g.writeArrayFieldStart("gpus");
        for (Analysis.GpuFigures f : a.gpus()) {
            g.writeStartObject();
            g.writeNumberField("gpu", f.gpu());
            figures(g, f);
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeArrayFieldStart("roles");
        for (PlanDag.Role r : Roles.of(plan).all()) {
            g.writeStartObject();
            g.writeNumberField("role", r.id());
            g.writeArrayFieldStart("gpus");
            for (int id : r.gpus()) g.writeNumber(id);
            g.writeEndArray();
            figures(g, a.role(r));
            g.writeEndObject();
        }
        g.writeEndArray();
        totals(g, a);
        requirements(g, a.requirements());
        serving(g, a.serving());
        training(g, a.training(), a.step());
        g.writeEndObject();
    }

    /**
     * A training step's figures, as the report gives them (null for a serving workload): the
     * model FLOPs (forward and backward matrix products, without recomputation) and the hardware
     * FLOPs (with the recomputed forward ops) of the whole step over every GPU, the peak rate they
     * are held against, MFU and HFU (Chowdhery et al. 2022; Korthikanti et al. 2022), the step time
     * (the critical path), the pipeline bubble and the activations each layer stores per GPU and
     * micro-batch.
     */
    private static void training(JsonGenerator g, Analysis.Training t, Analysis.Step s) throws IOException {
        if (t == null) {
            g.writeNullField("training");
            return;
        }
        g.writeObjectFieldStart("training");
        g.writeFieldName("model_flops");
        g.writeNumber(t.modelFlops());
        g.writeFieldName("hardware_flops");
        g.writeNumber(t.hardwareFlops());
        g.writeFieldName("recomputed_flops");
        g.writeNumber(t.hardwareFlops().subtract(t.modelFlops()));
        g.writeNumberField("gpus", t.gpus());
        number(g, "peak_flops_per_gpu", t.peakFlops());
        number(g, "step_s", t.seconds());
        number(g, "mfu", t.mfu());
        number(g, "hfu", t.hfu());
        number(g, "pipeline_bubble", s.pipelineBubble().isPresent() ? s.pipelineBubble().getAsDouble() : Double.NaN);
        g.writeArrayFieldStart("activations_stored_per_layer");
        for (pdagc.analysis.StoredActivations.Layer l : t.stored()) {
            g.writeStartObject();
            g.writeNumberField("layer", l.layer());
            g.writeNumberField("bytes", l.bytes());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    /** A serving workload's figures (null for a workload of one step). */
    private static void serving(JsonGenerator g, Serving s) throws IOException {
        if (s == null) {
            g.writeNullField("serving");
            return;
        }
        g.writeObjectFieldStart("serving");
        g.writeStringField("workload", s.workload());
        g.writeNumberField("batch", s.batch());
        g.writeNumberField("input", s.input());
        g.writeNumberField("output", s.output());
        g.writeNumberField("gpus", s.gpus());
        number(g, "ttft_s", s.ttft());
        number(g, "tpot_s", s.tpot());
        number(g, "e2e_s", s.endToEnd());
        number(g, "throughput_tok_s", s.throughput());
        number(g, "throughput_tok_s_per_gpu", s.throughputPerGpu());
        g.writeNumberField("decode_steps", s.decodeSteps());
        if (s.arrivals() == null) {
            g.writeNullField("arrivals");
        } else {
            Serving.Arrivals r = s.arrivals();
            g.writeObjectFieldStart("arrivals");
            number(g, "rate_req_s", r.rate());
            g.writeNumberField("prefill_batch", r.prefillBatch());
            number(g, "in_flight", r.inFlight());
            g.writeNumberField("decode_batch", r.decodeBatch());
            number(g, "prefill_share", r.prefillShare());
            number(g, "decode_step_s", r.decodeStepSeconds());
            if (r.simulated() == null) {
                g.writeNullField("simulated");
            } else {
                pdagc.analysis.ServingSimulation.Result run = r.simulated();
                g.writeObjectFieldStart("simulated");
                g.writeNumberField("requests", run.requests() * r.prefillBatch());
                spread(g, "ttft_s", run.ttft());
                spread(g, "tpot_s", run.tpot());
                spread(g, "e2e_s", run.endToEnd());
                number(g, "mean_in_flight", run.meanInFlight() * r.prefillBatch());
                g.writeNumberField("most_in_flight", run.mostInFlight() * r.prefillBatch());
                if (run.engine().inFlight() == Long.MAX_VALUE) g.writeNullField("admits_in_flight");
                else g.writeNumberField("admits_in_flight", run.engine().inFlight());
                g.writeNumberField("prompts_per_iteration", run.engine().promptsPerIteration());
                g.writeBooleanField("chunked_prefill", run.engine().chunked());
                g.writeNumberField("token_budget", run.engine().tokenBudget());
                number(g, "seconds", run.seconds());
                g.writeEndObject();
            }
            g.writeEndObject();
        }
        g.writeArrayFieldStart("decode_contexts_compiled");
        for (long c : s.decodeContexts()) g.writeNumber(c);
        g.writeEndArray();
        if (s.decode() == null) g.writeNullField("tpot_exact");
        else g.writeBooleanField("tpot_exact", s.decode().exact());
        Analysis.GpuFigures peak = s.peakMemory();
        g.writeNumberField("peak_memory_bytes", peak.memory().total());
        g.writeNumberField("peak_memory_gpu", peak.gpu());
        g.writeNumberField("peak_memory_context", s.peakStep().context());
        g.writeArrayFieldStart("steps");
        servingStep(g, "prefill", s.prefill().context(), s.prefill().analysis().step().seconds(), Serving.times(s.prefill().dag(), s.prefill().analysis()));
        if (s.decode() != null) {
            servingStep(g, "decode_mean", null, s.decode().seconds(), s.decode().roles());
            servingStep(g, "decode_first", s.decodeFirst().context(), s.decodeFirst().analysis().step().seconds(),
                    Serving.times(s.decodeFirst().dag(), s.decodeFirst().analysis()));
            servingStep(g, "decode_last", s.decodeLast().context(), s.decodeLast().analysis().step().seconds(),
                    Serving.times(s.decodeLast().dag(), s.decodeLast().analysis()));
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    private static void servingStep(JsonGenerator g, String step, Long context, double seconds, List<Serving.RoleTimes> roles) throws IOException {
        g.writeStartObject();
        g.writeStringField("step", step);
        if (context == null) g.writeNullField("context");
        else g.writeNumberField("context", context);
        number(g, "seconds", seconds);
        g.writeArrayFieldStart("roles");
        for (Serving.RoleTimes r : roles) {
            g.writeStartObject();
            g.writeNumberField("role", r.role());
            number(g, "compute_s", r.computeSeconds());
            number(g, "communication_s", r.communicationSeconds());
            number(g, "idle_s", r.idleSeconds());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    private static void step(JsonGenerator g, Analysis.Step s, PlanDag plan) throws IOException {
        g.writeObjectFieldStart("step");
        g.writeStringField("phase", s.phase().keyword());
        g.writeNumberField("tokens", s.tokens());
        number(g, "seconds", s.seconds());
        number(g, "ttft_s", s.ttft());
        number(g, "tpot_s", s.tpot());
        number(g, "throughput_tok_s", s.throughput());
        number(g, "communication_s", s.communicationSeconds());
        number(g, "communication_share", s.communicationShare());
        number(g, "pipeline_bubble", s.pipelineBubble().isPresent() ? s.pipelineBubble().getAsDouble() : Double.NaN);
        Analysis.SteadyState st = s.steady();
        if (st == null) {
            g.writeNullField("steady_state");
        } else {
            g.writeObjectFieldStart("steady_state");
            g.writeNumberField("micro_batches", st.microBatches());
            g.writeNumberField("stages", st.stages());
            number(g, "loop_s", st.loopSeconds());
            number(g, "stage_busy_per_micro_batch_s", st.stageBusySeconds());
            g.writeNumberField("busiest_gpu", st.busiestGpu());
            g.writeStringField("bound", st.latencyBound() ? "loop" : "stage");
            number(g, "step_fill_drain_s", st.stepSeconds());
            g.writeEndObject();
        }
        g.writeArrayFieldStart("critical_path");
        for (int i : s.path()) g.writeString(plan.nodes().get(i).id());
        g.writeEndArray();
        g.writeEndObject();
    }

    private static void figures(JsonGenerator g, Analysis.GpuFigures f) throws IOException {
        Memory.PerGpu m = f.memory();
        g.writeNumberField("weights_bytes", m.weightBytes());
        g.writeNumberField("kv_cache_bytes", m.kvCacheBytes());
        g.writeNumberField("activation_bytes", m.activationBytes());
        g.writeNumberField("workspace_bytes", m.workspaceBytes());
        if (m.modelStates()) {
            // A training step's model states: gradient buffers and the optimizer's fp32 states.
            g.writeNumberField("gradient_bytes", m.gradientBytes());
            g.writeNumberField("optimizer_bytes", m.optimizerBytes());
        }
        g.writeNumberField("memory_bytes", m.total());
        g.writeNumberField("capacity_bytes", Math.round(f.capacityBytes()));
        g.writeNumberField("flops", f.flops());
        g.writeNumberField("hbm_bytes", f.hbmBytes());
        g.writeNumberField("collective_buffer_bytes", f.collectiveBufferBytes());
        g.writeNumberField("collective_sent_bytes", f.collectiveTrafficBytes());
        number(g, "compute_s", f.computeSeconds());
        number(g, "overhead_s", f.overheadSeconds());
        number(g, "communication_s", f.communicationSeconds());
        number(g, "idle_s", f.idleSeconds());
    }

    private static void totals(JsonGenerator g, Analysis a) throws IOException {
        Analysis.Totals t = a.totals();
        Analysis.GpuFigures worst = a.largestMemory();
        g.writeObjectFieldStart("totals");
        number(g, "flops", t.flops());
        number(g, "hbm_bytes", t.hbmBytes());
        number(g, "collective_sent_bytes", t.collectiveTrafficBytes());
        g.writeNumberField("largest_memory_bytes", worst.memory().total());
        g.writeNumberField("largest_memory_gpu", worst.gpu());
        g.writeEndObject();
    }

    private static void requirements(JsonGenerator g, List<Requirements.Result> results) throws IOException {
        g.writeArrayFieldStart("requirements");
        for (Requirements.Result r : results) {
            Requirement q = r.requirement();
            g.writeStartObject();
            g.writeStringField("metric", q.metric());
            g.writeStringField("comparison", q.comparison());
            number(g, "limit", q.limit());
            g.writeStringField("limit_text", q.limitText());
            g.writeBooleanField("evaluated", r.applicable());
            number(g, "value", r.value());
            g.writeBooleanField("holds", r.holds());
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    /** A finite number, or null. */
    /** A simulated figure's mean and percentiles (null with one output token, where a TPOT has none). */
    private static void spread(JsonGenerator g, String field, pdagc.analysis.ServingSimulation.Spread x) throws IOException {
        g.writeObjectFieldStart(field);
        number(g, "mean", x.mean());
        number(g, "p50", x.p50());
        number(g, "p90", x.p90());
        number(g, "p99", x.p99());
        g.writeEndObject();
    }

    private static void number(JsonGenerator g, String field, double v) throws IOException {
        g.writeFieldName(field);
        if (Double.isFinite(v)) g.writeNumber(v);
        else g.writeNull();
    }
}
