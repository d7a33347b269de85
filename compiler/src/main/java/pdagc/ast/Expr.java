package pdagc.ast;

import java.math.BigDecimal;
import java.util.List;
import pdagc.source.Span;

/**
 * Expressions: integer arithmetic over parameters ({@code 3*hidden}), quantities with units
 * ({@code 64 GB}), names, lists (shapes), mesh literals, and in blocks operation calls and tensor
 * arithmetic. What an expression means is decided by the checker, not the parser.
 */
public sealed interface Expr {
    Span span();

    /** A number with an optional unit; {@code unit} is null for a plain number. */
    record Number(Span span, BigDecimal value, String unit, String text) implements Expr {}

    record Name(Span span, QualifiedName name) implements Expr {}

    record Str(Span span, String value) implements Expr {}

    record Neg(Span span, Expr operand) implements Expr {}

    record Binary(Span span, String op, Expr left, Expr right) implements Expr {}

    record Call(Span span, QualifiedName callee, List<Arg> args) implements Expr {}

    record ListExpr(Span span, List<Expr> items) implements Expr {}

    /** {@code [ep 16, tp 4, pp 1]}: ordered named axes of a device mesh. */
    record Mesh(Span span, List<Axis> axes) implements Expr {}

    record Axis(Span span, Ident name, Expr size) {}

    /** A call argument, positional ({@code name == null}) or named ({@code out: 3*hidden}). */
    record Arg(Span span, Ident name, Expr value) {}
}
