package pdagc.ir;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A contraction as an einsum-style factor spec, {@code "bsk,kn->bsn"}: one letter per dimension of
 * each operand and of the result; a letter that the operands have and the result lacks is summed
 * over. The rules of a contraction op are read off its spec instead of written by hand: its FLOPs
 * (a multiply and an add for every point of the iteration space, the product of all factors),
 * and the layout of its weight (each weight dimension split as its factor is split where the
 * activation or the result holds it; a reduced factor split means the result is a partial sum
 * over those axes, which the sharding rule states). Shardy's {@code OpShardingRule} and MLIR's
 * sharding interface describe ops by the same factors.
 */
public final class Contraction {
    /** {@code x @ W}: the last dimension k of x against the weight's rows. */
    public static final Contraction LINEAR = parse("bsk,kn->bsn");
    /** One {@code x @ W} per expert, over the tokens c of its bucket. */
    public static final Contraction EXPERT_LINEAR = parse("eck,ekn->ecn");

    private final List<String> operands;
    private final String result;

    private Contraction(List<String> operands, String result) {
        this.operands = operands;
        this.result = result;
    }

    /** Parses {@code "ab,bc->ac"}; every result letter must appear in an operand. */
    public static Contraction parse(String spec) {
        int arrow = spec.indexOf("->");
        if (arrow < 0) throw new IllegalArgumentException("no -> in " + spec);
        List<String> ops = List.of(spec.substring(0, arrow).split(","));
        String res = spec.substring(arrow + 2);
        for (char c : res.toCharArray()) {
            if (ops.stream().noneMatch(o -> o.indexOf(c) >= 0)) throw new IllegalArgumentException("result factor " + c + " of " + spec + " is in no operand");
        }
        return new Contraction(ops, res);
    }

    /** The factors of the activation (the first operand), one letter per dimension. */
    public String activation() {
        return operands.get(0);
    }

    /** The factors of operand {@code i}. */
    public String operand(int i) {
        return operands.get(i);
    }

    public int operandCount() {
        return operands.size();
    }

    /** The factors of the result. */
    public String result() {
        return result;
    }

    /** The weight's (second operand's) factor that the result keeps and the activation lacks: what @column splits, or 0. */
    public char columnFactor() {
        for (char c : operands.get(1).toCharArray()) if (result.indexOf(c) >= 0 && operands.get(0).indexOf(c) < 0) return c;
        return 0;
    }

    /** The weight's factor that the activation and the result share (the experts of an expert linear): what @experts splits, or 0. */
    public char sharedFactor() {
        for (char c : operands.get(1).toCharArray()) if (result.indexOf(c) >= 0 && operands.get(0).indexOf(c) >= 0) return c;
        return 0;
    }

    /** The factors summed over: in an operand, not in the result. */
    public String reduced() {
        StringBuilder b = new StringBuilder();
        for (String o : operands) for (char c : o.toCharArray()) if (result.indexOf(c) < 0 && b.indexOf(String.valueOf(c)) < 0) b.append(c);
        return b.toString();
    }

    /**
     * FLOPs on the given local shapes of the activation operand (the first) and the result: two
     * per point of the iteration space. Every factor must appear in one of the two.
     */
    public long flops(Shape activation, Shape out) {
        Map<Character, Long> size = sizes(activation, out);
        long n = 2;
        for (String o : operands) for (char c : o.toCharArray()) if (size.containsKey(c)) n = Overflow.mul(n, size.remove(c));
        return n;
    }

    /**
     * The mesh axes that split each dimension of operand {@code operand} (a weight), given those
     * of the activation operand's dimensions and of the result's: a factor the result keeps is
     * split as in the result, a reduced one as in the activation.
     */
    public List<List<String>> operandAxes(int operand, List<List<String>> activation, List<List<String>> out) {
        List<List<String>> axes = new ArrayList<>();
        String first = operands.get(0);
        for (char c : operands.get(operand).toCharArray()) {
            int r = result.indexOf(c);
            if (r >= 0) {
                axes.add(out.get(r));
            } else {
                int a = first.indexOf(c);
                if (a < 0) throw new IllegalStateException("factor " + c + " is neither in the result nor in the activation");
                axes.add(activation.get(a));
            }
        }
        return axes;
    }

    private Map<Character, Long> sizes(Shape activation, Shape out) {
        String first = operands.get(0);
        if (activation.rank() != first.length() || out.rank() != result.length()) {
            throw new IllegalArgumentException("shapes " + activation + " and " + out + " do not match " + this);
        }
        Map<Character, Long> size = new LinkedHashMap<>();
        for (int i = 0; i < first.length(); i++) size.put(first.charAt(i), activation.dim(i));
        for (int i = 0; i < result.length(); i++) size.put(result.charAt(i), out.dim(i));
        for (String o : operands) {
            for (char c : o.toCharArray()) if (!size.containsKey(c)) throw new IllegalStateException("factor " + c + " of " + this + " has no size");
        }
        return size;
    }

    @Override
    public String toString() {
        return String.join(",", operands) + "->" + result;
    }
}
