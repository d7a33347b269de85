package pdagc.ast;

import java.util.List;
import pdagc.source.Span;

/**
 * {@code name value} or {@code name value { ... }} or {@code name { ... }} inside a declaration's
 * body. {@code value} is null for the last form.
 */
public record Property(Span span, Ident name, Expr value, List<Property> body) {}
