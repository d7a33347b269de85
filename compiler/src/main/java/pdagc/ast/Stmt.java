package pdagc.ast;

import java.util.List;
import pdagc.source.Span;

/** Statements of a block body. */
public sealed interface Stmt {
    Span span();

    /** {@code qkv = linear(n, out: 3*hidden) @column(tp)}. */
    record Let(Span span, Ident name, Expr value, List<Annotation> annotations) implements Stmt {}

    record Return(Span span, Expr value) implements Stmt {}

    /** {@code @column(tp)}: how an operation's weights or outputs are split over mesh axes. */
    record Annotation(Span span, Ident name, List<Ident> axes) {}
}
