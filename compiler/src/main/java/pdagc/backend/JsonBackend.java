package pdagc.backend;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import pdagc.analysis.Analysis;
import pdagc.analysis.NodeCosts;
import pdagc.dag.DagEdge;
import pdagc.dag.DagNode;
import pdagc.dag.GpuInfo;
import pdagc.dag.PlanDag;
import pdagc.ir.Shape;
import pdagc.mesh.Mesh;

/**
 * Writes a plan as the {@code pdagc-plan} JSON format (version 1, described by the schema
 * {@code pdagc/plan.schema.json} on the class path), for tools that consume plans. It streams with
 * Jackson's generator and builds no tree, since plans reach millions of nodes; keys come in a fixed
 * order and nothing depends on hash order or locale, so the same plan gives the same bytes.
 * Strings are UTF-8; bidirectional controls are written as {@code \\u} escapes ({@link JsonEscapes}).
 *
 * <pre>
 * {"format":"pdagc-plan", "version":1, "deployment":"Seed", "source":"seed.pdag", "dtype":"bf16", "expert_dtype":"bf16", "vocabulary_dtype":"bf16",
 *  "mesh":[{"axis":"ep","size":16},{"axis":"tp","size":4}],
 *  "gpus":[{"id":0,"coords":{"ep":0,"tp":0},"node":0}, ...],
 *  "nodes":[{"id":"0:layers.0.attn.qkv","gpu":0,"op":"linear","kind":"compute","layer":0,
 *            "name":"layers.0.attn.qkv","inputs":[[8,128,512]],"output":[8,128,384],"dtype":"bf16"},
 *           {..., "kind":"collective", ..., "collective":"...","group":[0,1,2,3]}, ...],
 *  "edges":[{"from":"0:a","to":"0:b","kind":"data"}, ...]}
 * </pre>
 *
 * <p>With an analysis, an {@code analysis} section follows {@code gpus} ({@link JsonAnalysis}) and
 * every node carries {@code flops}, {@code bytes} (HBM traffic of a computation, bytes each member
 * sends for a collective) and {@code time_s}.
 */
public final class JsonBackend {
    public static final String FORMAT = "pdagc-plan";
    public static final int VERSION = 1;
    /** The class-path resource of the JSON Schema (Draft 2020-12) of this format. */
    public static final String SCHEMA_RESOURCE = "/pdagc/plan.schema.json";

    private static final JsonFactory FACTORY = new JsonFactoryBuilder()
            .disable(StreamWriteFeature.AUTO_CLOSE_TARGET)
            .disable(StreamWriteFeature.AUTO_CLOSE_CONTENT)
            .enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER)
            .characterEscapes(new JsonEscapes())
            .build();

    private JsonBackend() {}

    /** Writes {@code plan} to {@code out} as UTF-8, without analysis; flushes, does not close. */
    public static void write(PlanDag plan, OutputStream out) throws IOException {
        write(plan, null, out);
    }

    /**
     * Writes {@code plan} with its {@code analysis} (null for none: then the {@code analysis} section
     * and the nodes' cost fields are left out) to {@code out} as UTF-8; flushes, does not close.
     */
    public static void write(PlanDag plan, Analysis analysis, OutputStream out) throws IOException {
        try (JsonGenerator g = FACTORY.createGenerator(out, JsonEncoding.UTF8)) {
            g.setPrettyPrinter(new JsonLayout());
            g.writeStartObject();
            g.writeStringField("format", FORMAT);
            g.writeNumberField("version", VERSION);
            g.writeStringField("deployment", plan.deployment());
            g.writeStringField("source", plan.source());
            g.writeStringField("dtype", plan.dtype().keyword());
            g.writeStringField("expert_dtype", plan.precision().experts().keyword());
            g.writeStringField("vocabulary_dtype", plan.precision().vocabulary().keyword());
            writeMesh(g, plan.mesh());
            writeGpus(g, plan);
            if (analysis != null) JsonAnalysis.write(g, plan, analysis);
            if (plan instanceof PlanDag.ClosedForm closed && streams(closed, analysis)) {
                g.flush();
                JsonStream.write(closed, analysis, out, FACTORY);
                return;
            }
            writeNodes(g, plan, analysis);
            writeEdges(g, plan);
            g.writeEndObject();
            g.writeRaw('\n');
        }
    }

    /**
     * Whether the nodes and edges can be streamed from the plan's closed form ({@link JsonStream}):
     * the plan has one, and its costs, if any, are kept per role. Otherwise (plans given node by
     * node, or whose GPUs of a role differ in speed) they are written node by node here.
     */
    static boolean streams(PlanDag plan, Analysis analysis) {
        return plan instanceof PlanDag.ClosedForm && (analysis == null || analysis.nodes().perRole());
    }

    /** Writes the plan node by node, never from the closed form: the reference the streamed form is tested against. */
    static void writeNodeByNode(PlanDag plan, Analysis analysis, OutputStream out) throws IOException {
        PlanDag given = new PlanDag.Listed(plan.deployment(), plan.source(), plan.mesh(), plan.gpusPerNode(), plan.dtype(), plan.gpus(), plan.nodes(),
                plan.edges(), plan.roles(), plan.precision());
        write(given, analysis, out);
    }

    private static void writeMesh(JsonGenerator g, Mesh mesh) throws IOException {
        g.writeArrayFieldStart("mesh");
        for (Mesh.Axis a : mesh.axes()) {
            g.writeStartObject();
            g.writeStringField("axis", a.name());
            g.writeNumberField("size", a.size());
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    private static void writeGpus(JsonGenerator g, PlanDag plan) throws IOException {
        List<Mesh.Axis> axes = plan.mesh().axes();
        g.writeArrayFieldStart("gpus");
        for (GpuInfo gpu : plan.gpus()) {
            g.writeStartObject();
            g.writeNumberField("id", gpu.id());
            g.writeObjectFieldStart("coords");
            for (int i = 0; i < axes.size(); i++) g.writeNumberField(axes.get(i).name(), gpu.coords().get(i));
            g.writeEndObject();
            g.writeNumberField("node", gpu.node());
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    private static void writeNodes(JsonGenerator g, PlanDag plan, Analysis analysis) throws IOException {
        pdagc.ir.Precision precision = plan.precision();
        g.writeArrayFieldStart("nodes");
        for (DagNode n : plan.nodes()) writeNode(g, n, precision.dtypeOf(n.op(), n.name()).keyword(), analysis == null ? null : analysis.nodes());
        g.writeEndArray();
    }

    private static void writeNode(JsonGenerator g, DagNode n, String dtype, NodeCosts costs) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", n.id());
        g.writeNumberField("gpu", n.gpu());
        g.writeStringField("op", n.op().name());
        g.writeStringField("kind", n.kind().json());
        g.writeFieldName("layer");
        if (n.layer() < 0) g.writeNull();
        else g.writeNumber(n.layer());
        g.writeStringField("name", n.name());
        g.writeArrayFieldStart("inputs");
        for (Shape s : n.inputs()) writeShape(g, s);
        g.writeEndArray();
        g.writeFieldName("output");
        writeShape(g, n.output());
        g.writeStringField("dtype", dtype);
        // An all-reduce that takes the maximum says so (the loss's); a sum, every other, says nothing.
        if (n.op() instanceof pdagc.ir.Op.Collective c && c.reduction() != pdagc.ir.Reduction.SUM) g.writeStringField("reduction", c.reduction().text());
        g.writeNumberField("micro_batch", n.microBatch());
        if (n.collective() != null) g.writeStringField("collective", n.collective());
        if (n.group() != null) {
            g.writeArrayFieldStart("group");
            for (int member : n.group()) g.writeNumber(member);
            g.writeEndArray();
        }
        if (costs != null) {
            g.writeNumberField("flops", costs.flops(n.index()));
            g.writeNumberField("bytes", costs.bytes(n.index()));
            g.writeNumberField("time_s", costs.seconds(n.index()));
        }
        g.writeEndObject();
    }

    private static void writeShape(JsonGenerator g, Shape s) throws IOException {
        g.writeStartArray();
        for (int i = 0; i < s.rank(); i++) g.writeNumber(s.dim(i));
        g.writeEndArray();
    }

    private static void writeEdges(JsonGenerator g, PlanDag plan) throws IOException {
        g.writeArrayFieldStart("edges");
        for (DagEdge e : plan.edges()) {
            g.writeStartObject();
            g.writeStringField("from", plan.nodeId(e.from()));
            g.writeStringField("to", plan.nodeId(e.to()));
            g.writeStringField("kind", e.kind().json());
            g.writeEndObject();
        }
        g.writeEndArray();
    }
}
