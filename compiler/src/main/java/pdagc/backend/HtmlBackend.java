package pdagc.backend;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import pdagc.analysis.Analysis;
import pdagc.analysis.Memory;
import pdagc.dag.DagNode;
import pdagc.dag.PlanDag;
import pdagc.driver.MaterializedPlan;
import pdagc.units.Units;

/**
 * {@code --emit html}: one self-contained HTML file that explores a plan: the viewer's script and
 * styles (bundled from npm at build time, {@code viewer/} in the repository) and the plan's data as
 * JSON, written here with Jackson. The data is kept once per role, not per GPU: each role's nodes
 * in its schedule order, with the analysis' figures (FLOPs, bytes, start and finish in the simulated
 * step, critical path) and the role's memory as the report gives it; the GPUs of a role are a list of
 * ids. Strings that repeat (names, ops, shapes) are kept once in a table. Nothing is recomputed: the
 * figures come from the same {@link Analysis} that {@code --emit report} and {@code --emit json}
 * print.
 */
public final class HtmlBackend {
    /** The bundled viewer, a resource the build puts beside the classes. */
    static final String BUNDLE = "/pdagc/viewer/viewer.js";

    private HtmlBackend() {}

    /** Whether this build carries the viewer's script. */
    public static boolean available() {
        return HtmlBackend.class.getResource(BUNDLE) != null;
    }

    public static void write(MaterializedPlan step, String title, OutputStream out) throws IOException {
        byte[] script;
        try (InputStream in = HtmlBackend.class.getResourceAsStream(BUNDLE)) {
            if (in == null) throw new IOException("this build of pdagc has no viewer script (" + BUNDLE + "); build it with npm on the PATH");
            script = in.readAllBytes();
        }
        String js = new String(script, StandardCharsets.UTF_8);
        if (js.contains("</script")) throw new IOException("the viewer script contains `</script`, which would end the script element");
        Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
        w.write("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
        w.write(escapeText(title));
        w.write("</title>\n</head>\n<body>\n<div id=\"app\"></div>\n");
        w.write("<script type=\"application/json\" id=\"pdagc-plan\">");
        w.flush();
        try (JsonGenerator g = new JsonFactory().createGenerator(w)) {
            g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            g.setCharacterEscapes(new ScriptEscapes());
            data(step, title, g);
        }
        w.write("</script>\n<script>\n");
        w.write(js);
        w.write("\n</script>\n</body>\n</html>\n");
        w.flush();
    }

    private static String escapeText(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    /** Escapes what could end the script element or confuse an HTML parser: {@code <}, {@code >}, {@code &}, and U+2028/2029. */
    static final class ScriptEscapes extends CharacterEscapes {
        private final int[] table = standardAsciiEscapesForJSON();

        ScriptEscapes() {
            table['<'] = ESCAPE_STANDARD;
            table['>'] = ESCAPE_STANDARD;
            table['&'] = ESCAPE_STANDARD;
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return table;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            if (ch == 0x2028) return new SerializedString("\\u2028");
            if (ch == 0x2029) return new SerializedString("\\u2029");
            return null;
        }
    }

    /** Interns strings: each distinct one written once, referred to by its index. */
    private static final class Strings {
        final List<String> list = new ArrayList<>();
        final Map<String, Integer> index = new HashMap<>();

        int of(String s) {
            return index.computeIfAbsent(s, k -> {
                list.add(k);
                return list.size() - 1;
            });
        }
    }

    private static void data(MaterializedPlan step, String title, JsonGenerator g) throws IOException {
        PlanDag dag = step.dag();
        Analysis a = step.analysis();
        Analysis.Schedule s = a.schedule();
        StepTimeline timeline = StepTimeline.of(dag, step.spmd(), a, title, null);
        List<PlanDag.Role> roles = Roles.of(dag).all();
        Strings strings = new Strings();
        Map<String, Integer> styles = new LinkedHashMap<>();
        Map<List<Integer>, Integer> groups = new LinkedHashMap<>();
        TrainingMarks marks = TrainingMarks.of(dag);
        Analysis.Step st = a.step();

        g.writeStartObject();
        g.writeNumberField("version", 1);
        g.writeStringField("title", title);
        g.writeStringField("deployment", dag.deployment());
        g.writeStringField("source", dag.source());
        g.writeStringField("phase", st.phase().keyword());
        g.writeStringField("stepLabel", st.phase() == pdagc.sem.Phase.PREFILL ? "TTFT" : st.phase() == pdagc.sem.Phase.DECODE ? "TPOT" : "step time");
        g.writeNumberField("stepSeconds", st.seconds());
        g.writeStringField("stepText", Units.seconds(st.seconds()));
        g.writeNumberField("scheduleSeconds", s.seconds());
        g.writeStringField("scheduleText", Units.seconds(s.seconds()));
        g.writeBooleanField("steady", st.steadyState());
        g.writeNumberField("gpuCount", dag.gpus().size());
        g.writeNumberField("gpusPerNode", dag.gpusPerNode());
        g.writeStringField("mesh", dag.mesh().toString());
        g.writeNumberField("stages", timeline.stages());
        g.writeBooleanField("training", timeline.training());
        g.writeNumberField("nodeCount", dag.nodes().size());
        g.writeObjectFieldStart("colors");
        for (Map.Entry<String, String> e : TimelineSvg.legend(timeline.training()).entrySet()) g.writeStringField(e.getKey(), e.getValue());
        g.writeStringField("critical", TimelineSvg.CRITICAL);
        g.writeEndObject();
        g.writeArrayFieldStart("phaseColors");
        for (StepTimeline.Phase p : StepTimeline.Phase.values()) {
            g.writeStartArray();
            g.writeString(TimelineSvg.phaseFill(p, 0));
            g.writeString(TimelineSvg.phaseFill(p, 1));
            g.writeEndArray();
        }
        g.writeEndArray();

        g.writeArrayFieldStart("roles");
        for (int r = 0; r < roles.size(); r++) {
            PlanDag.Role role = roles.get(r);
            StepTimeline.Lane lane = timeline.lanes().get(r);
            int qrole = s.quotient().roleOf(role.gpus().get(0));
            int[] order = s.order()[qrole];
            Map<Integer, Integer> local = new HashMap<>();
            for (int i = 0; i < order.length; i++) local.put(order[i], i);
            g.writeStartObject();
            g.writeNumberField("id", role.id());
            g.writeStringField("gpusText", GpuRanges.format(role.gpus()));
            g.writeArrayFieldStart("gpus");
            for (int gpu : role.gpus()) g.writeNumber(gpu);
            g.writeEndArray();
            memory(a.role(role), g);
            // The nodes of the role's schedule, column by column.
            int n = lane.bars().size();
            int[] name = new int[n], op = new int[n], layer = new int[n], mb = new int[n], style = new int[n], in = new int[n], outShape = new int[n],
                    coll = new int[n], group = new int[n], phase = new int[n], critical = new int[n], kind = new int[n];
            long[] flops = new long[n], bytes = new long[n];
            double[] start = new double[n], finish = new double[n];
            for (int i = 0; i < n; i++) {
                StepTimeline.Bar b = lane.bars().get(i);
                DagNode d = b.dag();
                name[i] = strings.of(d.name());
                op[i] = strings.of(d.op().name());
                layer[i] = d.layer();
                mb[i] = d.microBatch();
                NodeStyle ns = NodeStyle.of(d, Palette.fill(dag, d.gpu()), marks != null && marks.afterForward(d));
                style[i] = styles.computeIfAbsent(ns.shape() + "|" + ns.fill() + "|" + ns.style(), k -> styles.size());
                in[i] = strings.of(d.inputs().toString());
                outShape[i] = strings.of(String.valueOf(d.output()));
                coll[i] = b.collective() == null ? -1 : b.collective().ordinal();
                group[i] = d.group() == null || d.group().isEmpty() ? -1 : groups.computeIfAbsent(List.copyOf(d.group()), k -> groups.size());
                phase[i] = b.phase() == null ? -1 : b.phase().ordinal();
                critical[i] = b.critical() ? 1 : 0;
                kind[i] = b.category().ordinal();
                flops[i] = a.nodes().flops(planIndex(s, b.quotient()));
                bytes[i] = a.nodes().bytes(planIndex(s, b.quotient()));
                start[i] = b.start();
                finish[i] = b.finish();
            }
            g.writeObjectFieldStart("nodes");
            ints(g, "name", name);
            ints(g, "op", op);
            ints(g, "layer", layer);
            ints(g, "mb", mb);
            ints(g, "style", style);
            ints(g, "in", in);
            ints(g, "out", outShape);
            ints(g, "coll", coll);
            ints(g, "group", group);
            ints(g, "phase", phase);
            ints(g, "critical", critical);
            ints(g, "kind", kind);
            g.writeFieldName("flops");
            g.writeArray(flops, 0, n);
            g.writeFieldName("bytes");
            g.writeArray(bytes, 0, n);
            g.writeFieldName("start");
            g.writeArray(start, 0, n);
            g.writeFieldName("finish");
            g.writeArray(finish, 0, n);
            g.writeFieldName("live");
            g.writeArray(s.liveActivations()[qrole], 0, n);
            g.writeEndObject();
            // Edges between the role's nodes (local indices, pairs), and from other roles' nodes: [role, node, node here].
            List<Integer> inside = new ArrayList<>();
            List<int[]> across = new ArrayList<>();
            int[] roleOfQrole = new int[s.roles()];
            java.util.Arrays.fill(roleOfQrole, -1);
            for (PlanDag.Role o : roles) roleOfQrole[s.quotient().roleOf(o.gpus().get(0))] = o.id();
            for (int e = 0; e < s.quotient().edges(); e++) {
                int to = s.quotient().to(e);
                Integer t = local.get(to);
                if (t == null) continue;
                int from = s.quotient().from(e);
                Integer f = local.get(from);
                if (f != null) {
                    inside.add(f);
                    inside.add(t);
                } else {
                    int fromQrole = s.quotient().roleOf(s.node(from).gpu());
                    int fromRole = roleOfQrole[fromQrole];
                    if (fromRole < 0) continue;
                    int fromLocal = indexIn(s.order()[fromQrole], from);
                    across.add(new int[] {fromRole, fromLocal, t});
                }
            }
            g.writeArrayFieldStart("edges");
            for (int v : inside) g.writeNumber(v);
            g.writeEndArray();
            g.writeArrayFieldStart("crossEdges");
            for (int[] c : across) g.writeArray(c, 0, 3);
            g.writeEndArray();
            g.writeEndObject();
        }
        g.writeEndArray();

        g.writeArrayFieldStart("strings");
        for (String x : strings.list) g.writeString(x);
        g.writeEndArray();
        g.writeArrayFieldStart("styles");
        for (String x : styles.keySet()) {
            String[] p = x.split("\\|", -1);
            g.writeStartArray();
            for (String part : p) g.writeString(part);
            g.writeEndArray();
        }
        g.writeEndArray();
        g.writeArrayFieldStart("groups");
        for (List<Integer> x : groups.keySet()) {
            g.writeStartArray();
            for (int v : x) g.writeNumber(v);
            g.writeEndArray();
        }
        g.writeEndArray();
        g.writeArrayFieldStart("collectiveKinds");
        for (pdagc.ir.CollectiveKind k : pdagc.ir.CollectiveKind.values()) g.writeString(k.opName());
        g.writeEndArray();
        g.writeEndObject();
    }

    private static int planIndex(Analysis.Schedule s, int q) {
        return s.node(q).index();
    }

    private static int indexIn(int[] order, int q) {
        for (int i = 0; i < order.length; i++) if (order[i] == q) return i;
        return -1;
    }

    private static void ints(JsonGenerator g, String field, int[] v) throws IOException {
        g.writeFieldName(field);
        g.writeArray(v, 0, v.length);
    }

    /** The role's memory as the report gives it: bytes and the report's text for each part. */
    private static void memory(Analysis.GpuFigures f, JsonGenerator g) throws IOException {
        Memory.PerGpu m = f.memory();
        g.writeObjectFieldStart("memory");
        part(g, "weights", "weights", m.weightBytes());
        part(g, "kv", "KV cache", m.kvCacheBytes());
        part(g, "activations", "activations (peak)", m.activationBytes());
        part(g, "workspace", "collective workspace", m.workspaceBytes());
        if (m.modelStates() || m.optimizerBytes() > 0 || m.gradientBytes() > 0) {
            part(g, "gradients", "gradients", m.gradientBytes());
            part(g, "optimizer", "optimizer states", m.optimizerBytes());
        }
        part(g, "total", "memory total", m.total());
        g.writeNumberField("capacity", f.capacityBytes());
        g.writeStringField("capacityText", Units.bytes(f.capacityBytes()));
        g.writeStringField("ofCapacity", pdagc.analysis.Figures.percent(m.total() / f.capacityBytes()));
        g.writeEndObject();
    }

    private static void part(JsonGenerator g, String key, String label, long bytes) throws IOException {
        g.writeObjectFieldStart(key);
        g.writeStringField("label", label);
        g.writeNumberField("bytes", bytes);
        g.writeStringField("text", Units.bytes(bytes));
        g.writeEndObject();
    }
}
