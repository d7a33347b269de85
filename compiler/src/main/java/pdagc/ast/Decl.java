package pdagc.ast;

import java.util.List;
import pdagc.source.Span;

/** Top-level declarations of a .pdag file. */
public sealed interface Decl {
    Span span();

    /** {@code import std.blocks} or {@code import "lib/models.pdag"}; {@code module} xor {@code path}. */
    record Import(Span span, QualifiedName module, String path, Ident alias) implements Decl {}

    /** model, cluster, workload, strategy or gpu: a named bag of typed properties. */
    record Entity(Span span, EntityKind kind, Ident name, List<Property> properties) implements Decl {
        public String nameText() {
            return name.text();
        }
    }

    /** {@code deploy Seed = Model on Cluster with Strategy for Workload { require ... }}. */
    record Deploy(
            Span span,
            Ident name,
            QualifiedName model,
            QualifiedName cluster,
            QualifiedName strategy,
            QualifiedName workload,
            List<Requirement> requirements,
            List<Property> properties)
            implements Decl {}

    /**
     * {@code search Best = Model on Cluster for Workload { tp [1, 2, 4, 8]  objective throughput  require ... }}:
     * the strategies {@code pdagc search} may try for a model on a cluster and a workload (the
     * knobs as properties, fixed or as lists of choices), its objective and hard requirements.
     */
    record Search(
            Span span,
            Ident name,
            QualifiedName model,
            QualifiedName cluster,
            QualifiedName workload,
            List<Requirement> requirements,
            List<Property> properties)
            implements Decl {}

    /** {@code block attention(x: [B, S, H]) -> [B, S, H] { ... }}. */
    record Block(Span span, Ident name, List<Param> params, List<Expr> result, List<Stmt> body) implements Decl {}

    record Param(Span span, Ident name, List<Expr> shape) {}

    /** {@code require memory <= 64 GB per gpu}. */
    record Requirement(Span span, Ident metric, String comparison, Expr limit, Ident per) {}
}
