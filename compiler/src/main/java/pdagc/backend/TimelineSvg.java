package pdagc.backend;

import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;
import pdagc.ir.CollectiveKind;
import pdagc.units.Units;

/**
 * {@code --emit timeline}: the simulated step ({@link StepTimeline}) as a static SVG Gantt chart, for
 * reports and papers. One lane per role (or per GPU asked for), time left to right from 0 to the
 * step's length; computation in blue, collectives in their kind's colour (all-reduce red and
 * all-to-all orange as in the DAG drawings), pipeline sends and receives teal; a lane's grey
 * background shows where it waits, hatched where a pipeline fills and drains; the critical path's
 * nodes are underlined in dark red; a training step's lanes carry a strip with the forward, backward
 * and once-per-step phases, each micro-batch a shade apart. Every bar's tooltip names its node,
 * op, shapes and times. The root element carries the step's length in seconds ({@code data-seconds})
 * and each lane its role ({@code data-role}), for tools that read the drawing.
 */
public final class TimelineSvg {
    static final int LABEL_WIDTH = 190;
    static final int PLOT_WIDTH = 1100;
    static final int LANE_HEIGHT = 26;
    static final int STRIP = 5;
    static final int TOP = 58;

    private TimelineSvg() {}

    /** The fill of a computation, a collective of each kind, and each training phase: one table for every drawing of the timeline. */
    public static final String COMPUTE = "#6fa8dc";
    public static final String IDLE = "#eeeeee";
    public static final String CRITICAL = "#990000";

    public static String fill(StepTimeline.Bar b) {
        if (b.collective() == null) return COMPUTE;
        return collectiveFill(b.collective());
    }

    public static String collectiveFill(CollectiveKind k) {
        return switch (k) {
            case ALL_REDUCE -> NodeStyle.ALL_REDUCE;
            case ALL_TO_ALL -> NodeStyle.ALL_TO_ALL;
            case ALL_GATHER -> "#8e7cc3";
            case REDUCE_SCATTER -> "#c27ba0";
            case SEND, RECV -> "#76a5af";
        };
    }

    public static String phaseFill(StepTimeline.Phase p, int microBatch) {
        boolean odd = (microBatch & 1) == 1;
        return switch (p) {
            case FORWARD -> odd ? "#93c47d" : "#6aa84f";
            case BACKWARD -> odd ? "#9fc5e8" : "#3d85c6";
            case OPTIMIZER -> "#e69138";
        };
    }

    /** The legend: what each colour means. */
    public static Map<String, String> legend(boolean training) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("computation", COMPUTE);
        for (CollectiveKind k : CollectiveKind.values()) {
            if (k == CollectiveKind.RECV) continue;
            m.put(k == CollectiveKind.SEND ? "send/recv" : k.opName(), collectiveFill(k));
        }
        m.put("idle", IDLE);
        if (training) {
            m.put("forward", phaseFill(StepTimeline.Phase.FORWARD, 0));
            m.put("backward", phaseFill(StepTimeline.Phase.BACKWARD, 0));
            m.put("optimizer", phaseFill(StepTimeline.Phase.OPTIMIZER, 0));
        }
        return m;
    }

    public static void write(StepTimeline t, OutputStream out) throws XMLStreamException {
        XMLStreamWriter w = XMLOutputFactory.newFactory().createXMLStreamWriter(out, "UTF-8");
        int height = TOP + t.lanes().size() * (LANE_HEIGHT + 8) + 60;
        int width = LABEL_WIDTH + PLOT_WIDTH + 30;
        double scale = t.seconds() > 0 ? PLOT_WIDTH / t.seconds() : 0;
        w.writeStartDocument("UTF-8", "1.0");
        w.writeCharacters("\n");
        w.writeStartElement("svg");
        w.writeDefaultNamespace("http://www.w3.org/2000/svg");
        w.writeAttribute("width", Integer.toString(width));
        w.writeAttribute("height", Integer.toString(height));
        w.writeAttribute("viewBox", "0 0 " + width + " " + height);
        w.writeAttribute("font-family", "Helvetica, Arial, sans-serif");
        w.writeAttribute("font-size", "11");
        w.writeAttribute("data-seconds", Double.toString(t.seconds()));
        w.writeAttribute("data-lanes", Integer.toString(t.lanes().size()));
        w.writeStartElement("defs");
        w.writeStartElement("pattern");
        w.writeAttribute("id", "bubble");
        w.writeAttribute("width", "6");
        w.writeAttribute("height", "6");
        w.writeAttribute("patternUnits", "userSpaceOnUse");
        w.writeAttribute("patternTransform", "rotate(45)");
        rect(w, 0, 0, 6, 6, IDLE);
        w.writeEmptyElement("line");
        w.writeAttribute("x1", "0");
        w.writeAttribute("y1", "0");
        w.writeAttribute("x2", "0");
        w.writeAttribute("y2", "6");
        w.writeAttribute("stroke", "#bbbbbb");
        w.writeAttribute("stroke-width", "3");
        w.writeEndElement();
        w.writeEndElement();
        text(w, 10, 20, t.title(), "14", "bold");
        text(w, 10, 38, "simulated step: " + Units.seconds(t.seconds()) + "; " + t.lanes().size() + " lane" + (t.lanes().size() == 1 ? "" : "s")
                + (t.stages() > 1 ? ", " + t.stages() + " pipeline stages (hatched: fill and drain)" : "")
                + "; dark red line under a lane: the critical path", "11", null);
        axis(w, t.seconds(), scale, TOP - 6, TOP + t.lanes().size() * (LANE_HEIGHT + 8));
        int y = TOP;
        for (StepTimeline.Lane lane : t.lanes()) {
            w.writeStartElement("g");
            w.writeAttribute("class", "lane");
            w.writeAttribute("data-role", Integer.toString(lane.role()));
            if (lane.gpu() >= 0) w.writeAttribute("data-gpu", Integer.toString(lane.gpu()));
            text(w, 10, y + LANE_HEIGHT / 2.0 + 4, lane.label(), "11", null);
            rect(w, LABEL_WIDTH, y, PLOT_WIDTH, LANE_HEIGHT, IDLE);
            if (t.stages() > 1 && !lane.bars().isEmpty()) {
                double first = lane.first(), last = lane.last();
                if (first > 0) bubble(w, LABEL_WIDTH, y, first * scale);
                if (last < t.seconds()) bubble(w, LABEL_WIDTH + last * scale, y, (t.seconds() - last) * scale);
            }
            for (StepTimeline.Bar b : lane.bars()) {
                double x = LABEL_WIDTH + b.start() * scale;
                double bw = Math.max(0.3, b.seconds() * scale);
                int top = t.training() ? y + STRIP + 1 : y;
                int h = t.training() ? LANE_HEIGHT - STRIP - 1 : LANE_HEIGHT;
                w.writeStartElement("rect");
                w.writeAttribute("x", num(x));
                w.writeAttribute("y", Integer.toString(top));
                w.writeAttribute("width", num(bw));
                w.writeAttribute("height", Integer.toString(h));
                w.writeAttribute("fill", fill(b));
                w.writeAttribute("class", b.critical() ? "bar critical" : "bar");
                w.writeStartElement("title");
                w.writeCharacters(tooltip(b));
                w.writeEndElement();
                w.writeEndElement();
                if (b.phase() != null) rect(w, x, y, bw, STRIP, phaseFill(b.phase(), b.dag().microBatch()));
                if (b.critical()) rect(w, x, y + LANE_HEIGHT, bw, 3, CRITICAL);
            }
            w.writeEndElement();
            y += LANE_HEIGHT + 8;
        }
        int x = LABEL_WIDTH;
        y += 18;
        Map<String, String> legend = new LinkedHashMap<>(legend(t.training()));
        if (t.stages() > 1) legend.put("pipeline fill/drain", "url(#bubble)");
        legend.put("critical path", CRITICAL);
        for (Map.Entry<String, String> e : legend.entrySet()) {
            rect(w, x, y - 9, 12, 12, e.getValue());
            text(w, x + 16, y + 1, e.getKey(), "11", null);
            x += 24 + 7 * e.getKey().length();
        }
        w.writeEndElement();
        w.writeEndDocument();
        w.flush();
        w.close();
    }

    /** A bar's tooltip: node, op, GPU, micro-batch, shapes, start, end and duration. */
    static String tooltip(StepTimeline.Bar b) {
        var n = b.dag();
        StringBuilder s = new StringBuilder(n.name()).append(" (").append(n.op().name()).append(")");
        if (n.layer() >= 0) s.append(", layer ").append(n.layer());
        if (b.phase() != null) s.append(", ").append(b.phase().name().toLowerCase(Locale.ROOT)).append(", micro-batch ").append(n.microBatch());
        s.append("\n").append(n.inputs()).append(" -> ").append(n.output());
        if (n.group() != null && !n.group().isEmpty()) s.append("\n").append(n.group().size()).append(" members: ").append(GpuRanges.gpus(n.group()));
        s.append("\n").append(Units.seconds(b.start())).append(" to ").append(Units.seconds(b.finish())).append(" (").append(Units.seconds(b.seconds())).append(")");
        if (b.critical()) s.append(", on the critical path");
        return s.toString();
    }

    private static void axis(XMLStreamWriter w, double seconds, double scale, int y, int bottom) throws XMLStreamException {
        if (seconds <= 0) return;
        double step = niceStep(seconds / 8);
        for (double t = 0; t <= seconds * (1 + 1e-9); t += step) {
            double x = LABEL_WIDTH + t * scale;
            w.writeEmptyElement("line");
            w.writeAttribute("x1", num(x));
            w.writeAttribute("x2", num(x));
            w.writeAttribute("y1", Integer.toString(y));
            w.writeAttribute("y2", Integer.toString(bottom));
            w.writeAttribute("stroke", "#cccccc");
            w.writeAttribute("stroke-width", "0.5");
            text(w, x + 2, y - 2, t == 0 ? "0" : Units.seconds(t), "9", null);
        }
    }

    /** 1, 2 or 5 times a power of ten, at least {@code raw}. */
    static double niceStep(double raw) {
        double p = Math.pow(10, Math.floor(Math.log10(raw)));
        for (double m : new double[] {1, 2, 5, 10}) if (m * p >= raw) return m * p;
        return 10 * p;
    }

    private static void bubble(XMLStreamWriter w, double x, double y, double width) throws XMLStreamException {
        rect(w, x, y, width, LANE_HEIGHT, "url(#bubble)");
    }

    private static void rect(XMLStreamWriter w, double x, double y, double width, double height, String fill) throws XMLStreamException {
        w.writeEmptyElement("rect");
        w.writeAttribute("x", num(x));
        w.writeAttribute("y", num(y));
        w.writeAttribute("width", num(width));
        w.writeAttribute("height", num(height));
        w.writeAttribute("fill", fill);
    }

    private static void text(XMLStreamWriter w, double x, double y, String s, String size, String weight) throws XMLStreamException {
        w.writeStartElement("text");
        w.writeAttribute("x", num(x));
        w.writeAttribute("y", num(y));
        w.writeAttribute("font-size", size);
        if (weight != null) w.writeAttribute("font-weight", weight);
        w.writeCharacters(s);
        w.writeEndElement();
    }

    private static String num(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }
}
