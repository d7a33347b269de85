package pdagc.backend;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.util.List;
import pdagc.analysis.Analysis;
import pdagc.analysis.Memory;
import pdagc.analysis.Requirements;
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
        g.writeNumberField("memory_bytes", m.total());
        g.writeNumberField("capacity_bytes", Math.round(f.capacityBytes()));
        g.writeNumberField("flops", f.flops());
        g.writeNumberField("hbm_bytes", f.hbmBytes());
        g.writeNumberField("collective_buffer_bytes", f.collectiveBufferBytes());
        g.writeNumberField("collective_sent_bytes", f.collectiveTrafficBytes());
        number(g, "compute_s", f.computeSeconds());
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
    private static void number(JsonGenerator g, String field, double v) throws IOException {
        g.writeFieldName(field);
        if (Double.isFinite(v)) g.writeNumber(v);
        else g.writeNull();
    }
}
