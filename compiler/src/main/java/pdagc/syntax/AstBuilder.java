package pdagc.syntax;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.tree.TerminalNode;
import pdagc.ast.CompilationUnit;
import pdagc.ast.Decl;
import pdagc.ast.EntityKind;
import pdagc.ast.Expr;
import pdagc.ast.Ident;
import pdagc.ast.Property;
import pdagc.ast.QualifiedName;
import pdagc.ast.Stmt;
import pdagc.source.SourceFile;
import pdagc.source.Span;

/**
 * Builds the immutable AST from a parse tree that has no syntax errors; every node gets its
 * source span as its first component.
 */
final class AstBuilder {
    private final SourceFile file;

    AstBuilder(SourceFile file) {
        this.file = file;
    }

    CompilationUnit file(PdagParser.FileContext ctx) {
        List<Decl> decls = new ArrayList<>();
        for (PdagParser.DeclContext d : ctx.decl()) decls.add(decl(d));
        return new CompilationUnit(file, List.copyOf(decls));
    }

    private Span span(ParserRuleContext ctx) {
        Token stop = ctx.getStop() != null ? ctx.getStop() : ctx.getStart();
        return new Span(file, ctx.getStart().getStartIndex(), Math.max(ctx.getStart().getStartIndex(), stop.getStopIndex() + 1));
    }

    private Span span(Token t) {
        return new Span(file, t.getStartIndex(), t.getStopIndex() + 1);
    }

    private Ident ident(TerminalNode node) {
        return new Ident(span(node.getSymbol()), node.getText());
    }

    private Decl decl(PdagParser.DeclContext ctx) {
        if (ctx instanceof PdagParser.ImportDeclContext c) {
            Ident alias = c.IDENT() != null ? ident(c.IDENT()) : null;
            if (c.importTarget() instanceof PdagParser.ModuleImportContext m) {
                return new Decl.Import(span(c), name(m.qualifiedName()), null, alias);
            }
            PdagParser.PathImportContext p = (PdagParser.PathImportContext) c.importTarget();
            return new Decl.Import(span(c), null, unquote(p.STRING().getText()), alias);
        }
        if (ctx instanceof PdagParser.EntityDeclContext c) {
            EntityKind kind = switch (c.kind.getType()) {
                case PdagParser.MODEL -> EntityKind.MODEL;
                case PdagParser.CLUSTER -> EntityKind.CLUSTER;
                case PdagParser.WORKLOAD -> EntityKind.WORKLOAD;
                case PdagParser.STRATEGY -> EntityKind.STRATEGY;
                case PdagParser.GPU -> EntityKind.GPU;
                default -> throw new IllegalStateException("grammar and AST builder disagree on entity kinds");
            };
            return new Decl.Entity(span(c), kind, ident(c.IDENT()), properties(c.body().property()));
        }
        if (ctx instanceof PdagParser.DeployDeclContext c) {
            List<Decl.Requirement> reqs = new ArrayList<>();
            List<Property> props = new ArrayList<>();
            if (c.deployBody() != null) {
                for (PdagParser.RequirementContext r : c.deployBody().requirement()) reqs.add(requirement(r));
                props.addAll(properties(c.deployBody().property()));
            }
            return new Decl.Deploy(span(c), ident(c.IDENT()), name(c.model), name(c.cluster), name(c.strategy),
                    name(c.workload), List.copyOf(reqs), List.copyOf(props));
        }
        if (ctx instanceof PdagParser.SearchDeclContext c) {
            List<Decl.Requirement> reqs = new ArrayList<>();
            List<Property> props = new ArrayList<>();
            if (c.deployBody() != null) {
                for (PdagParser.RequirementContext r : c.deployBody().requirement()) reqs.add(requirement(r));
                props.addAll(properties(c.deployBody().property()));
            }
            return new Decl.Search(span(c), ident(c.IDENT()), name(c.model), name(c.cluster), name(c.workload), List.copyOf(reqs),
                    List.copyOf(props));
        }
        PdagParser.BlockDeclContext c = (PdagParser.BlockDeclContext) ctx;
        List<Decl.Param> params = new ArrayList<>();
        for (PdagParser.ParamContext p : c.param()) {
            params.add(new Decl.Param(span(p), ident(p.IDENT()), shape(p.shape())));
        }
        List<Stmt> body = new ArrayList<>();
        for (PdagParser.StmtContext s : c.stmt()) body.add(stmt(s));
        return new Decl.Block(span(c), ident(c.IDENT()), List.copyOf(params),
                c.shape() != null ? shape(c.shape()) : null, List.copyOf(body));
    }

    private Decl.Requirement requirement(PdagParser.RequirementContext r) {
        Ident per = r.per != null ? new Ident(span(r.per), r.per.getText()) : null;
        return new Decl.Requirement(span(r), new Ident(span(r.metric), r.metric.getText()), r.comparison().getText(),
                expr(r.expr()), per);
    }

    private List<Property> properties(List<PdagParser.PropertyContext> ctxs) {
        List<Property> out = new ArrayList<>();
        for (PdagParser.PropertyContext p : ctxs) out.add(property(p));
        return List.copyOf(out);
    }

    private Property property(PdagParser.PropertyContext ctx) {
        if (ctx instanceof PdagParser.ValuePropertyContext v) {
            List<Property> body = v.body() != null ? properties(v.body().property()) : List.of();
            return new Property(span(v), propertyName(v.propertyName()), value(v.value()), body);
        }
        PdagParser.NestedPropertyContext n = (PdagParser.NestedPropertyContext) ctx;
        return new Property(span(n), propertyName(n.propertyName()), null, properties(n.body().property()));
    }

    private Ident propertyName(PdagParser.PropertyNameContext ctx) {
        return new Ident(span(ctx), ctx.getText());
    }

    private Expr value(PdagParser.ValueContext ctx) {
        if (ctx instanceof PdagParser.MeshValueContext m) {
            List<Expr.Axis> axes = new ArrayList<>();
            for (PdagParser.AxisContext a : m.axis()) axes.add(new Expr.Axis(span(a), ident(a.IDENT()), expr(a.expr())));
            return new Expr.Mesh(span(m), List.copyOf(axes));
        }
        return expr(((PdagParser.ExprValueContext) ctx).expr());
    }

    private List<Expr> shape(PdagParser.ShapeContext ctx) {
        List<Expr> dims = new ArrayList<>();
        for (PdagParser.ExprContext e : ctx.expr()) dims.add(expr(e));
        return List.copyOf(dims);
    }

    private Stmt stmt(PdagParser.StmtContext ctx) {
        if (ctx instanceof PdagParser.LetStmtContext l) {
            List<Stmt.Annotation> anns = new ArrayList<>();
            for (PdagParser.AnnotationContext a : l.annotation()) {
                List<Ident> axes = new ArrayList<>();
                for (int i = 1; i < a.IDENT().size(); i++) axes.add(ident(a.IDENT(i)));
                anns.add(new Stmt.Annotation(span(a), ident(a.IDENT(0)), List.copyOf(axes)));
            }
            return new Stmt.Let(span(l), ident(l.IDENT()), expr(l.expr()), List.copyOf(anns));
        }
        PdagParser.ReturnStmtContext r = (PdagParser.ReturnStmtContext) ctx;
        return new Stmt.Return(span(r), expr(r.expr()));
    }

    private Expr expr(PdagParser.ExprContext ctx) {
        if (ctx instanceof PdagParser.NegExprContext c) return new Expr.Neg(span(c), expr(c.expr()));
        if (ctx instanceof PdagParser.MulExprContext c) return new Expr.Binary(span(c), c.op.getText(), expr(c.expr(0)), expr(c.expr(1)));
        if (ctx instanceof PdagParser.AddExprContext c) return new Expr.Binary(span(c), c.op.getText(), expr(c.expr(0)), expr(c.expr(1)));
        if (ctx instanceof PdagParser.CallExprContext c) {
            List<Expr.Arg> args = new ArrayList<>();
            for (PdagParser.ArgContext a : c.arg()) {
                args.add(new Expr.Arg(span(a), a.IDENT() != null ? ident(a.IDENT()) : null, expr(a.expr())));
            }
            return new Expr.Call(span(c), name(c.qualifiedName()), List.copyOf(args));
        }
        if (ctx instanceof PdagParser.NumberExprContext c) {
            String digits = c.NUMBER().getText().replace("_", "");
            String unit = c.UNIT() != null ? c.UNIT().getText() : null;
            String text = c.NUMBER().getText() + (unit != null ? " " + unit : "");
            return new Expr.Number(span(c), new BigDecimal(digits), unit, text);
        }
        if (ctx instanceof PdagParser.NameExprContext c) return new Expr.Name(span(c), name(c.qualifiedName()));
        if (ctx instanceof PdagParser.WordExprContext c) return new Expr.Name(span(c), new QualifiedName(span(c), List.of(c.WORD().getText())));
        if (ctx instanceof PdagParser.ParenExprContext c) return expr(c.expr());
        if (ctx instanceof PdagParser.ListExprContext c) {
            List<Expr> items = new ArrayList<>();
            for (PdagParser.ExprContext e : c.expr()) items.add(expr(e));
            return new Expr.ListExpr(span(c), List.copyOf(items));
        }
        PdagParser.StringExprContext s = (PdagParser.StringExprContext) ctx;
        return new Expr.Str(span(s), unquote(s.STRING().getText()));
    }

    private QualifiedName name(PdagParser.QualifiedNameContext ctx) {
        List<String> parts = new ArrayList<>();
        for (TerminalNode id : ctx.IDENT()) parts.add(id.getText());
        return new QualifiedName(span(ctx), List.copyOf(parts));
    }

    /** Removes the quotes and resolves the escapes {@code \" \\ \n \t}; other escapes keep their character. */
    static String unquote(String literal) {
        String body = literal.substring(1, literal.length() - 1);
        StringBuilder out = new StringBuilder(body.length());
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (c == '\\' && i + 1 < body.length()) {
                char n = body.charAt(++i);
                out.append(n == 'n' ? '\n' : n == 't' ? '\t' : n);
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
