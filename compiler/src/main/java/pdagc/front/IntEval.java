package pdagc.front;

import java.math.BigDecimal;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import pdagc.ast.Expr;
import pdagc.diag.Diagnostic;
import pdagc.diag.Diags;
import pdagc.diag.Diagnostics;
import pdagc.program.Names;

/**
 * Exact integer arithmetic over named parameters ({@code 3*hidden}, {@code hidden/heads}):
 * overflow and inexact division are diagnostics, never silent wrap-around or truncation.
 */
public final class IntEval {
    private final Map<String, Long> env;
    private final Diagnostics diagnostics;

    public IntEval(Map<String, Long> env, Diagnostics diagnostics) {
        this.env = env;
        this.diagnostics = diagnostics;
    }

    public OptionalLong eval(Expr e) {
        if (e instanceof Expr.Number n) {
            if (n.unit() != null) return fail(Diags.quantityForWholeNumber(n.span(), n.text()));
            BigDecimal v = n.value();
            if (v.signum() != 0 && v.stripTrailingZeros().scale() > 0) {
                return fail(Diags.fractionForWholeNumber(n.span(), n.text()));
            }
            try {
                return OptionalLong.of(v.longValueExact());
            } catch (ArithmeticException x) {
                return fail(Diags.literalTooLarge(n.span(), n.text()));
            }
        }
        if (e instanceof Expr.Name n) {
            Long v = n.name().isSimple() ? env.get(n.name().last()) : null;
            if (v == null) {
                return fail(Diags.parameterNotFound(n.span(), n.name().text(), Names.suggest(n.name().text(), env.keySet()), env.isEmpty()));
            }
            return OptionalLong.of(v);
        }
        if (e instanceof Expr.Neg n) {
            OptionalLong v = eval(n.operand());
            if (v.isEmpty()) return v;
            if (v.getAsLong() == Long.MIN_VALUE) return overflow(n, "negation");
            return OptionalLong.of(-v.getAsLong());
        }
        if (e instanceof Expr.Binary b) {
            OptionalLong l = eval(b.left());
            OptionalLong r = eval(b.right());
            if (l.isEmpty() || r.isEmpty()) return OptionalLong.empty();
            long x = l.getAsLong();
            long y = r.getAsLong();
            try {
                return switch (b.op()) {
                    case "+" -> OptionalLong.of(Math.addExact(x, y));
                    case "-" -> OptionalLong.of(Math.subtractExact(x, y));
                    case "*" -> OptionalLong.of(Math.multiplyExact(x, y));
                    case "%" -> y == 0 ? divByZero(b) : OptionalLong.of(x % y);
                    case "/" -> {
                        if (y == 0) yield divByZero(b);
                        if (x % y != 0) {
                            yield fail(Diags.inexactDivision(b.span(), b.span().text(), x, y));
                        }
                        yield OptionalLong.of(x / y);
                    }
                    default -> throw new IllegalStateException("grammar and evaluator disagree on operator " + b.op());
                };
            } catch (ArithmeticException ex) {
                return overflow(b, x + " " + b.op() + " " + y);
            }
        }
        return fail(Diags.notANumber(e.span(), describe(e)));
    }

    /**
     * Checks what can be checked of a size before its names have values (a block's declared shapes
     * bind names such as {@code B} when it is called): every number is a whole number without a
     * unit that fits in 64 bits, and nothing but numbers, names, negation and arithmetic appears.
     * Reports as {@link #eval} would, so a block that is also called reports each problem once.
     */
    public static void checkSize(Expr e, Diagnostics diagnostics) {
        if (e instanceof Expr.Number) {
            new IntEval(Map.of(), diagnostics).eval(e);
        } else if (e instanceof Expr.Neg n) {
            checkSize(n.operand(), diagnostics);
        } else if (e instanceof Expr.Binary b) {
            checkSize(b.left(), diagnostics);
            checkSize(b.right(), diagnostics);
        } else if (!(e instanceof Expr.Name)) {
            new IntEval(Map.of(), diagnostics).eval(e);
        }
    }

    /** Names this evaluator can see; used for completion and suggestions. */
    public Set<String> names() {
        return env.keySet();
    }

    public static String describe(Expr e) {
        if (e instanceof Expr.Str) return "a string";
        if (e instanceof Expr.ListExpr) return "a list";
        if (e instanceof Expr.Mesh) return "a mesh";
        if (e instanceof Expr.Call c) return "a call of `" + c.callee().text() + "`";
        if (e instanceof Expr.Name n) return "the name `" + n.name().text() + "`";
        if (e instanceof Expr.Number n) return n.unit() != null ? "the quantity `" + n.text() + "`" : "the number " + n.text();
        return "an expression";
    }

    private OptionalLong overflow(Expr e, String what) {
        return fail(Diags.arithmeticOverflow(e.span(), what));
    }

    private OptionalLong divByZero(Expr.Binary b) {
        return fail(Diags.divisionByZero(b.span(), b.span().text()));
    }

    private OptionalLong fail(Diagnostic.Builder d) {
        diagnostics.add(d);
        return OptionalLong.empty();
    }
}
