package pdagc.partition;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import pdagc.ir.DType;
import pdagc.ir.Graph;
import pdagc.ir.Op;
import pdagc.ir.Parallel;
import pdagc.ir.Shape;
import pdagc.spmd.IrText;

/**
 * Reads the logical IR's text form ({@link IrText#logical}, what {@code --print-ir-after lower}
 * prints) back into a {@link Graph}, so that passes can be tested IR in, IR out. What the text
 * does not hold is left out: source spans (null), and the router's width, which is its input's
 * last dimension (as lowering makes it). Only the logical IR: the sharded and SPMD forms are
 * outputs to compare with, not inputs.
 */
final class IrReader {
    private IrReader() {}

    private static final Pattern HEADER = Pattern.compile("// pass: lower \\((\\d+) ops, dtype ([a-z0-9]+)\\)");
    private static final Pattern LINE = Pattern.compile(
            "%(\\d+) = ([a-z_0-9]+)(?:\\[([^\\]]*)\\])?((?: @[a-z]+\\([^)]*\\))*) \\(([^)]*)\\) : \\[([0-9,]*)\\](?:  recomputes=%(\\d+))?(?:  layer=(\\d+))?  // (.*)");
    private static final Pattern ANNOTATION = Pattern.compile(" @([a-z]+)\\(([^)]*)\\)");

    /** A line the reader cannot take, with its number (1-based). */
    static final class ParseError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ParseError(int line, String why, String text) {
            super("line " + line + ": " + why + ": " + text);
        }
    }

    static Graph read(String text) {
        String[] lines = text.split("\n", -1);
        Matcher h = HEADER.matcher(lines[0]);
        if (!h.matches()) throw new ParseError(1, "not the header of the logical IR", lines[0]);
        int count = Integer.parseInt(h.group(1));
        Graph g = new Graph(DType.valueOf(h.group(2).toUpperCase(Locale.ROOT)));
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            if (line.isEmpty() && i == lines.length - 1) break;
            Matcher m = LINE.matcher(line);
            if (!m.matches()) throw new ParseError(i + 1, "not an op", line);
            int id = Integer.parseInt(m.group(1));
            if (id != g.size()) throw new ParseError(i + 1, "expected %" + g.size(), line);
            List<Integer> inputs = new ArrayList<>();
            if (!m.group(5).isEmpty()) {
                for (String in : m.group(5).split(", ")) {
                    if (!in.startsWith("%")) throw new ParseError(i + 1, "an input is not %N", line);
                    int from = Integer.parseInt(in.substring(1));
                    if (from >= id) throw new ParseError(i + 1, "an input that does not precede its use", line);
                    inputs.add(from);
                }
            }
            List<Parallel> parallel = new ArrayList<>();
            Matcher a = ANNOTATION.matcher(m.group(4));
            while (a.find()) parallel.add(new Parallel(Parallel.Style.valueOf(a.group(1).toUpperCase(Locale.ROOT)), a.group(2), null));
            Shape shape = shape(m.group(6));
            Op op;
            try {
                op = op(m.group(2), attributes(m.group(3)), inputs, g);
            } catch (RuntimeException e) {
                throw new ParseError(i + 1, e.getMessage(), line);
            }
            if (op instanceof Op.Grad && g.backwardStart() < 0) g.startBackward();
            if (m.group(7) != null) {
                g.addRecompute(g.node(Integer.parseInt(m.group(7))), inputs);
                continue;
            }
            g.add(m.group(9), op, inputs, shape, m.group(8) == null ? -1 : Integer.parseInt(m.group(8)), parallel, null);
        }
        if (g.size() != count) throw new ParseError(1, "the header says " + count + " ops, the text has " + g.size(), lines[0]);
        return g;
    }

    private static Shape shape(String dims) {
        if (dims.isEmpty()) return new Shape();
        String[] parts = dims.split(",");
        long[] d = new long[parts.length];
        for (int i = 0; i < d.length; i++) d[i] = Long.parseLong(parts[i]);
        return new Shape(d);
    }

    private static Map<String, String> attributes(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        if (text == null) return out;
        for (String kv : text.split(", ")) {
            int eq = kv.indexOf('=');
            if (eq < 0) throw new IllegalArgumentException("attribute without a value: " + kv);
            out.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return out;
    }

    private static Op op(String name, Map<String, String> at, List<Integer> inputs, Graph g) {
        Op op = switch (name) {
            case "dropout_mask" -> new Op.DropoutMask(Double.parseDouble(at.get("p")));
            case "dropout" -> new Op.Dropout(Double.parseDouble(at.get("p")));
            case "input" -> new Op.Input();
            case "output" -> new Op.Output();
            case "softmax" -> new Op.Softmax();
            case "last_token" -> new Op.LastToken();
            case "scale" -> new Op.Scale();
            case "embedding" -> new Op.Embed(get(at, "vocab"), get(at, "dim"));
            case "linear" -> new Op.Linear(get(at, "in"), get(at, "out"), at.containsKey("groups") ? get(at, "groups") : 0L);
            case "bias" -> new Op.Bias(get(at, "dim"));
            case "attn_scores" -> new Op.AttnScores(get(at, "heads"), get(at, "kv_heads"), get(at, "head_dim"));
            case "attn_context" -> new Op.AttnContext(get(at, "heads"), get(at, "kv_heads"), get(at, "head_dim"));
            case "router" -> new Op.Router(get(at, "experts"), get(at, "top"), g.node(inputs.get(0)).shape().last());
            case "dispatch" -> new Op.Dispatch(get(at, "experts"), get(at, "top"));
            case "combine" -> new Op.Combine(get(at, "experts"), get(at, "top"));
            case "expert_linear" -> new Op.ExpertLinear(get(at, "experts"), get(at, "in"), get(at, "out"));
            case "unembed" -> new Op.TiedHead(get(at, "dim"), get(at, "vocab"));
            case "pos_embed" -> new Op.PosEmbed(get(at, "positions"), get(at, "dim"));
            case "mla_scores" -> new Op.MlaScores(get(at, "heads"), get(at, "nope"), get(at, "rope"), get(at, "rank"));
            case "mla_context" -> new Op.MlaContext(get(at, "heads"), get(at, "rank"), get(at, "v_dim"));
            case "cross_entropy" -> new Op.Loss(get(at, "vocab"), get(at, "tokens"));
            case "logit_max" -> new Op.LogitStat(Op.LogitStat.Stat.MAX, get(at, "vocab"));
            case "sum_exp" -> new Op.LogitStat(Op.LogitStat.Stat.SUM_EXP, get(at, "vocab"));
            case "label_logit" -> new Op.LogitStat(Op.LogitStat.Stat.LABEL, get(at, "vocab"));
            case "accumulate" -> new Op.Accumulate(g.node((int) get(at, "of")).op(), (int) get(at, "of"));
            case "adam" -> new Op.Update(g.node((int) get(at, "of")).op(), (int) get(at, "of"));
            case "new_weight" -> new Op.Updated(g.node((int) get(at, "of")).op(), (int) get(at, "of"));
            default -> {
                if (at.containsKey("of") && (name.endsWith("_grad") || name.endsWith("_wgrad"))) {
                    int of = (int) get(at, "of");
                    Op forward = g.node(of).op();
                    if (name.endsWith("_wgrad")) yield new Op.Grad(forward, of, Op.Grad.WEIGHT, forward.gradRule().weight().reads());
                    int wrt = (int) get(at, "wrt");
                    yield new Op.Grad(forward, of, wrt, forward.gradRule().inputs().get(wrt).reads());
                }
                if (name.startsWith("head_") && at.containsKey("head_dim")) {
                    yield new Op.HeadNorm(pdagc.ir.NormType.of(name.substring("head_".length())), get(at, "head_dim"), get(at, "dim"));
                }
                if (at.keySet().equals(java.util.Set.of("dim"))) yield new Op.Norm(pdagc.ir.NormType.of(name), get(at, "dim"));
                if (!at.isEmpty()) throw new IllegalArgumentException("unknown op " + name);
                if (inputs.size() == 1) yield new Op.Unary(pdagc.ir.UnaryFn.of(name));
                if (inputs.size() == 2) yield new Op.Binary(pdagc.ir.BinaryFn.of(name));
                throw new IllegalArgumentException("unknown op " + name + " of " + inputs.size() + " inputs");
            }
        };
        // Every attribute must have been read: an op that prints more than this reader knows fails here.
        String printed = op.attributes();
        List<String> kv = new ArrayList<>();
        for (Map.Entry<String, String> e : at.entrySet()) kv.add(e.getKey() + "=" + e.getValue());
        if (!printed.equals(String.join(", ", kv))) throw new IllegalArgumentException("attributes [" + String.join(", ", kv) + "] read as [" + printed + "]");
        return op;
    }

    private static long get(Map<String, String> at, String key) {
        String v = at.get(key);
        if (v == null) throw new IllegalArgumentException("missing attribute " + key);
        return Long.parseLong(v);
    }
}
