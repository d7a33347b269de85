package pdagc.lower;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import pdagc.ast.Decl;
import pdagc.ast.Expr;
import pdagc.ast.Stmt;
import pdagc.diag.Code;
import pdagc.diag.Diagnostic;
import pdagc.diag.Diagnostics;
import pdagc.front.IntEval;
import pdagc.front.MeshAxes;
import pdagc.front.Program;
import pdagc.ir.Graph;
import pdagc.ir.Op;
import pdagc.ir.Parallel;
import pdagc.ir.Shape;
import pdagc.sem.BlockRef;
import pdagc.sem.ModelSpec;
import pdagc.source.Span;

/**
 * Instantiates blocks: binds a call's tensors to the block's shaped parameters, evaluates its
 * statements into IR nodes (checking shapes at every operation), and inlines nested block calls.
 * Node names are paths such as {@code layers.3.attn.qkv}.
 */
final class BlockInterpreter {
    private final Program program;
    private final ModelSpec model;
    private final Map<String, Long> params;
    private final Graph graph;
    private final Diagnostics diagnostics;
    private final Deque<Decl.Block> active = new ArrayDeque<>();
    private final java.util.Set<Span> reported = new java.util.HashSet<>();

    BlockInterpreter(Program program, ModelSpec model, Map<String, Long> params, Graph graph, Diagnostics diagnostics) {
        this.program = program;
        this.model = model;
        this.params = params;
        this.graph = graph;
        this.diagnostics = diagnostics;
    }

    /** The scope of one block instance. */
    private record Scope(BlockRef block, String path, int layer, Map<String, Val> names) {}

    Optional<Integer> call(BlockRef ref, String path, List<Integer> args, int layer, Span site) {
        Decl.Block block = ref.block();
        if (active.contains(block)) {
            error(Diagnostic.of(Code.E0406, site, block.name().text()).label("recursive call"));
            return Optional.empty();
        }
        if (args.size() != block.params().size()) {
            error(Diagnostic.of(Code.E0402, site, block.name().text(), "takes " + block.params().size() + " tensors, given " + args.size())
                    .secondary(block.name().span(), "declared here"));
            return Optional.empty();
        }
        Map<String, Val> names = new LinkedHashMap<>();
        params.forEach((k, v) -> names.put(k, new Val.Int(v)));
        Scope scope = new Scope(ref, path, layer, names);
        for (int i = 0; i < args.size(); i++) {
            Decl.Param p = block.params().get(i);
            Shape actual = graph.node(args.get(i)).shape();
            if (!bindShape(scope, p.shape(), actual, site, "argument `" + p.name().text() + "`")) return Optional.empty();
            names.put(p.name().text(), new Val.Tensor(args.get(i), actual));
        }
        active.push(block);
        try {
            for (Stmt s : block.body()) {
                if (s instanceof Stmt.Let let) {
                    Optional<Val> v = eval(scope, let.value(), path + "." + let.name().text(), let.annotations());
                    if (v.isEmpty()) return Optional.empty();
                    names.put(let.name().text(), v.get());
                } else if (s instanceof Stmt.Return ret) {
                    Optional<Val> v = eval(scope, ret.value(), path + "." + (ret.value() instanceof Expr.Call c ? c.callee().last() : "out"), List.of());
                    if (v.isEmpty()) return Optional.empty();
                    if (!(v.get() instanceof Val.Tensor t)) {
                        error(Diagnostic.of(Code.E0405, ret.value().span(), ret.value().span().text(), Val.describe(v.get()), "a tensor"));
                        return Optional.empty();
                    }
                    if (block.result() != null && !bindShape(scope, block.result(), t.shape(), ret.span(), "the result")) {
                        return Optional.empty();
                    }
                    return Optional.of(t.node());
                }
            }
            error(Diagnostic.of(Code.E0407, block.name().span(), block.name().text()).label("add `return` with the block's output"));
            return Optional.empty();
        } finally {
            active.pop();
        }
    }

    /** Matches a declared shape against an actual one, binding fresh names; reports a mismatch. */
    private boolean bindShape(Scope scope, List<Expr> declared, Shape actual, Span site, String what) {
        if (declared.size() != actual.rank()) {
            error(Diagnostic.of(Code.E0401, declared.isEmpty() ? site : declared.get(0).span().to(declared.get(declared.size() - 1).span()),
                            what + " has " + actual.rank() + " dimensions " + actual + ", declared " + declared.size())
                    .label("declared here").secondary(site, "used here"));
            return false;
        }
        for (int i = 0; i < declared.size(); i++) {
            Expr e = declared.get(i);
            if (e instanceof Expr.Name n && n.name().isSimple() && !scope.names().containsKey(n.name().last())) {
                scope.names().put(n.name().last(), new Val.Int(actual.dim(i)));
                continue;
            }
            OptionalLong v = intOf(scope, e);
            if (v.isEmpty()) return false;
            if (v.getAsLong() != actual.dim(i)) {
                error(Diagnostic.of(Code.E0401, e.span(), what + " has " + actual.dim(i) + " in dimension " + i + ", declared " + v.getAsLong())
                        .label("expected " + v.getAsLong()).secondary(site, "shape " + actual));
                return false;
            }
        }
        return true;
    }

    private OptionalLong intOf(Scope scope, Expr e) {
        Map<String, Long> ints = new LinkedHashMap<>();
        scope.names().forEach((k, v) -> {
            if (v instanceof Val.Int i) ints.put(k, i.value());
        });
        if (e instanceof Expr.Name n && n.name().isSimple() && scope.names().get(n.name().last()) instanceof Val.Tensor t) {
            error(Diagnostic.of(Code.E0405, e.span(), n.name().text(), "a tensor " + t.shape(), "a number"));
            return OptionalLong.empty();
        }
        return new IntEval(ints, diagnostics).eval(e);
    }

    private Optional<Val> eval(Scope scope, Expr e, String name, List<Stmt.Annotation> annotations) {
        if (e instanceof Expr.Call c) return call(scope, c, name, annotations);
        if (!annotations.isEmpty()) {
            error(Diagnostic.of(Code.E0408, annotations.get(0).span(), annotations.get(0).name().text())
                    .label("annotations apply to operations").help("annotate a call such as `linear(x, out: 4*hidden) @column(tp)`"));
            return Optional.empty();
        }
        if (e instanceof Expr.Name n && n.name().isSimple() && scope.names().get(n.name().last()) instanceof Val.Tensor t) {
            return Optional.of(t);
        }
        if (e instanceof Expr.Binary b && isTensor(scope, b.left())) {
            Optional<Val> l = eval(scope, b.left(), name + ".lhs", List.of());
            Optional<Val> r = eval(scope, b.right(), name + ".rhs", List.of());
            if (l.isEmpty() || r.isEmpty()) return Optional.empty();
            if (!(l.get() instanceof Val.Tensor lt) || !(r.get() instanceof Val.Tensor rt)) {
                error(Diagnostic.of(Code.E0405, b.right().span(), b.right().span().text(), Val.describe(r.get()), "a tensor"));
                return Optional.empty();
            }
            String fn = switch (b.op()) {
                case "+" -> "add";
                case "*" -> "mul";
                default -> null;
            };
            if (fn == null) {
                error(Diagnostic.of(Code.E0402, b.span(), b.op(), "is not defined on tensors; use `+` or `*`"));
                return Optional.empty();
            }
            if (!lt.shape().equals(rt.shape())) {
                error(Diagnostic.of(Code.E0401, b.span(), "`" + b.op() + "` of " + lt.shape() + " and " + rt.shape()).label("shapes differ"));
                return Optional.empty();
            }
            return Optional.of(node(scope, name, new Op.Binary(fn), List.of(lt.node(), rt.node()), lt.shape(), List.of(), b.span()));
        }
        OptionalLong v = intOf(scope, e);
        return v.isPresent() ? Optional.of(new Val.Int(v.getAsLong())) : Optional.empty();
    }

    private boolean isTensor(Scope scope, Expr e) {
        if (e instanceof Expr.Call) return true;
        if (e instanceof Expr.Name n) return n.name().isSimple() && scope.names().get(n.name().last()) instanceof Val.Tensor;
        if (e instanceof Expr.Binary b) return isTensor(scope, b.left());
        return false;
    }

    private Optional<Val> call(Scope scope, Expr.Call c, String name, List<Stmt.Annotation> annotations) {
        String callee = c.callee().text();
        if (c.callee().isSimple() && Builtins.isBuiltin(callee)) {
            List<Val.Tensor> tensors = new ArrayList<>();
            Map<String, Long> named = new LinkedHashMap<>();
            for (Expr.Arg a : c.args()) {
                if (a.name() == null) {
                    Optional<Val> v = eval(scope, a.value(), name + ".arg", List.of());
                    if (v.isEmpty()) return Optional.empty();
                    if (!(v.get() instanceof Val.Tensor t)) {
                        error(Diagnostic.of(Code.E0405, a.value().span(), a.value().span().text(), Val.describe(v.get()), "a tensor")
                                .help("pass numbers by name, as in `out: 4*hidden`"));
                        return Optional.empty();
                    }
                    tensors.add(t);
                } else {
                    OptionalLong v = intOf(scope, a.value());
                    if (v.isEmpty()) return Optional.empty();
                    if (named.put(a.name().text(), v.getAsLong()) != null) {
                        error(Diagnostic.of(Code.E0402, a.name().span(), callee, "gets `" + a.name().text() + "` twice"));
                        return Optional.empty();
                    }
                }
            }
            List<Parallel> parallel = annotations(annotations);
            if (parallel == null) return Optional.empty();
            Builtins.Result r = new Builtins(model, params, graph).build(callee, c, tensors, named, parallel, diagnostics);
            if (r == null) return Optional.empty();
            return Optional.of(node(scope, name, r.op(), r.inputs(), r.shape(), parallel, c.span()));
        }
        Optional<Program.Found> found = program.lookup(scope.block().module(), c.callee(), "block", diagnostics);
        if (found.isEmpty()) return Optional.empty();
        if (!annotations.isEmpty()) {
            error(Diagnostic.of(Code.E0408, annotations.get(0).span(), annotations.get(0).name().text())
                    .label("a block call cannot be annotated").help("annotate the operations inside the block"));
            return Optional.empty();
        }
        List<Integer> args = new ArrayList<>();
        for (Expr.Arg a : c.args()) {
            if (a.name() != null) {
                error(Diagnostic.of(Code.E0402, a.span(), callee, "takes tensors only; `" + a.name().text() + ":` is not a parameter"));
                return Optional.empty();
            }
            Optional<Val> v = eval(scope, a.value(), name + ".arg", List.of());
            if (v.isEmpty()) return Optional.empty();
            if (!(v.get() instanceof Val.Tensor t)) {
                error(Diagnostic.of(Code.E0405, a.value().span(), a.value().span().text(), Val.describe(v.get()), "a tensor"));
                return Optional.empty();
            }
            args.add(t.node());
        }
        BlockRef ref = new BlockRef(found.get().module(), (Decl.Block) found.get().decl());
        return call(ref, name, args, scope.layer(), c.span()).map(id -> new Val.Tensor(id, graph.node(id).shape()));
    }

    private List<Parallel> annotations(List<Stmt.Annotation> annotations) {
        List<Parallel> out = new ArrayList<>();
        for (Stmt.Annotation a : annotations) {
            Parallel.Style style;
            try {
                style = Parallel.Style.valueOf(a.name().text().toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                Diagnostic.Builder d = Diagnostic.of(Code.E0408, a.name().span(), a.name().text()).label("unknown annotation")
                        .note("annotations are @column, @row, @vocab, @experts");
                pdagc.front.Names.suggest(a.name().text(), List.of("column", "row", "vocab", "experts"))
                        .ifPresent(s -> d.help("did you mean `@" + s + "`?"));
                error(d);
                return null;
            }
            if (a.axes().size() != 1 || !MeshAxes.KNOWN.contains(a.axes().get(0).text())) {
                error(Diagnostic.of(Code.E0402, a.span(), "@" + a.name().text(), "takes one mesh axis, such as `@" + a.name().text() + "(tp)`")
                        .note("axes are: " + String.join(", ", MeshAxes.KNOWN)));
                return null;
            }
            out.add(new Parallel(style, a.axes().get(0).text(), a.span()));
        }
        return out;
    }

    private Val.Tensor node(Scope scope, String name, Op op, List<Integer> inputs, Shape shape, List<Parallel> parallel, Span span) {
        int id = graph.add(name, op, inputs, shape, scope.layer(), parallel, span).id();
        return new Val.Tensor(id, shape);
    }

    private void error(Diagnostic.Builder d) {
        Diagnostic built = d.build();
        if (reported.add(built.span())) diagnostics.report(built);
    }
}
