package pdagc.lsp;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import pdagc.ast.CompilationUnit;
import pdagc.ast.Decl;
import pdagc.ast.Expr;
import pdagc.ast.Property;
import pdagc.ast.QualifiedName;
import pdagc.ast.Stmt;

/**
 * Finds what is under the cursor in a parsed file: a name that refers to a declaration, a block's
 * let-name, a deploy's name, a property name or an import. The language server needs this and the
 * compiler's passes do not, so it lives here rather than in the AST.
 */
final class Syntax {
    private Syntax() {}

    /** A name used in an expression or a deploy, with the block it is used in (null outside blocks). */
    record Reference(QualifiedName name, Decl.Block block) {}

    record LetAt(Decl.Block block, Stmt.Let let) {}

    record PropertyAt(Decl.Entity entity, Property property) {}

    static Optional<Reference> referenceAt(CompilationUnit unit, int offset) {
        for (Decl decl : unit.decls()) {
            if (!Positions.contains(decl.span(), offset)) continue;
            List<QualifiedName> names = new ArrayList<>();
            Decl.Block block = null;
            if (decl instanceof Decl.Entity e) {
                properties(e.properties(), names);
            } else if (decl instanceof Decl.Deploy d) {
                names.add(d.model());
                names.add(d.cluster());
                names.add(d.strategy());
                names.add(d.workload());
                for (Decl.Requirement r : d.requirements()) expr(r.limit(), names);
                properties(d.properties(), names);
            } else if (decl instanceof Decl.Block b) {
                block = b;
                for (Decl.Param p : b.params()) for (Expr e : p.shape()) expr(e, names);
                for (Expr e : b.result()) expr(e, names);
                for (Stmt s : b.body()) {
                    if (s instanceof Stmt.Let let) expr(let.value(), names);
                    if (s instanceof Stmt.Return r) expr(r.value(), names);
                }
            }
            for (QualifiedName n : names) {
                if (n != null && Positions.contains(n.span(), offset)) return Optional.of(new Reference(n, block));
            }
        }
        return Optional.empty();
    }

    static Optional<LetAt> letAt(CompilationUnit unit, int offset) {
        for (Decl decl : unit.decls()) {
            if (decl instanceof Decl.Block b && Positions.contains(b.span(), offset)) {
                for (Stmt s : b.body()) {
                    if (s instanceof Stmt.Let let && Positions.contains(let.name().span(), offset)) return Optional.of(new LetAt(b, let));
                }
            }
        }
        return Optional.empty();
    }

    static Optional<Decl.Deploy> deployNameAt(CompilationUnit unit, int offset) {
        for (Decl decl : unit.decls()) {
            if (decl instanceof Decl.Deploy d && Positions.contains(d.name().span(), offset)) return Optional.of(d);
        }
        return Optional.empty();
    }

    static Optional<PropertyAt> propertyNameAt(CompilationUnit unit, int offset) {
        for (Decl decl : unit.decls()) {
            if (decl instanceof Decl.Entity e && Positions.contains(e.span(), offset)) {
                for (Property p : e.properties()) {
                    if (Positions.contains(p.name().span(), offset)) return Optional.of(new PropertyAt(e, p));
                }
            }
        }
        return Optional.empty();
    }

    static Optional<Decl.Import> importAt(CompilationUnit unit, int offset) {
        for (Decl decl : unit.decls()) {
            if (decl instanceof Decl.Import i && Positions.contains(i.span(), offset)) return Optional.of(i);
        }
        return Optional.empty();
    }

    private static void properties(List<Property> props, List<QualifiedName> into) {
        if (props == null) return;
        for (Property p : props) {
            if (p.value() != null) expr(p.value(), into);
            properties(p.body(), into);
        }
    }

    private static void expr(Expr e, List<QualifiedName> into) {
        if (e == null) return;
        if (e instanceof Expr.Name n) {
            into.add(n.name());
        } else if (e instanceof Expr.Call c) {
            into.add(c.callee());
            for (Expr.Arg a : c.args()) expr(a.value(), into);
        } else if (e instanceof Expr.Neg n) {
            expr(n.operand(), into);
        } else if (e instanceof Expr.Binary b) {
            expr(b.left(), into);
            expr(b.right(), into);
        } else if (e instanceof Expr.ListExpr l) {
            for (Expr x : l.items()) expr(x, into);
        } else if (e instanceof Expr.Mesh m) {
            for (Expr.Axis a : m.axes()) expr(a.size(), into);
        }
    }
}
