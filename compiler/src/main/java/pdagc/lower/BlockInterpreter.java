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
import pdagc.diag.Diagnostic;
import pdagc.diag.Diags;
import pdagc.diag.Diagnostics;
import pdagc.front.IntEval;
import pdagc.ir.Graph;
import pdagc.ir.Op;
import pdagc.ir.Parallel;
import pdagc.ir.Shape;
import pdagc.mesh.MeshAxes;
import pdagc.program.Names;
import pdagc.program.Program;
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

    /** Whether the model is lowered for a training step (every position's logits are needed). */
    private boolean training;

    BlockInterpreter training(boolean on) {
        training = on;
        return this;
    }

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
        if (isActive(block)) {
            Diagnostic.Builder d = Diags.recursiveBlock(site, block.name().text());
            List<String> chain = callChain(block);
            if (chain.size() > 2) d.note("the calls go around: " + String.join(" -> ", chain));
            error(d);
            return Optional.empty();
        }
        if (args.size() != block.params().size()) {
            error(Diags.blockArity(site, block.name().text(), block.params().size(), args.size(), block.name().span()));
            return Optional.empty();
        }
        Map<String, Val> names = new LinkedHashMap<>();
        params.forEach((k, v) -> names.put(k, new Val.Int(v)));
        Scope scope = new Scope(ref, path, layer, names);
        for (int i = 0; i < args.size(); i++) {
            Decl.Param p = block.params().get(i);
            Shape actual = graph.node(args.get(i)).shape();
            if (!bindArgument(scope, block, p, actual, site)) return Optional.empty();
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
                        error(Diags.returnNotTensor(ret.value().span(), ret.value().span().text(), Val.describe(v.get())));
                        return Optional.empty();
                    }
                    if (block.result() != null && !bindResult(scope, block, ret, t.shape())) return Optional.empty();
                    return Optional.of(t.node());
                }
            }
            error(Diags.blockWithoutReturn(block.name().span(), block.name().text()));
            return Optional.empty();
        } finally {
            active.pop();
        }
    }

    /** Binds a call's tensor to a block parameter: its shape must match the declared one. */
    private boolean bindArgument(Scope scope, Decl.Block block, Decl.Param p, Shape actual, Span site) {
        Optional<long[]> declared = bindShape(scope, p.shape(), actual);
        if (declared == null) return false;
        if (declared.isPresent() && java.util.Arrays.equals(declared.get(), actual.dims())) return true;
        error(Diags.blockParameterShape(site, block.name().text(), p.name().text(), describe(p.shape(), declared), actual,
                shapeSpan(p.shape(), p.span())));
        return false;
    }

    /** Checks a block's returned tensor against its declared result shape. */
    private boolean bindResult(Scope scope, Decl.Block block, Stmt.Return ret, Shape actual) {
        Optional<long[]> declared = bindShape(scope, block.result(), actual);
        if (declared == null) return false;
        if (declared.isPresent() && java.util.Arrays.equals(declared.get(), actual.dims())) return true;
        error(Diags.blockResultShape(ret.value().span(), block.name().text(), actual, describe(block.result(), declared),
                shapeSpan(block.result(), block.name().span())));
        return false;
    }

    /**
     * Evaluates a declared shape against an actual one of the same rank, binding names not yet
     * known (such as {@code B}) to the actual sizes. Null when a dimension could not be evaluated
     * (reported); empty when the ranks differ.
     */
    private Optional<long[]> bindShape(Scope scope, List<Expr> declared, Shape actual) {
        if (declared.size() != actual.rank()) return Optional.empty();
        long[] values = new long[declared.size()];
        for (int i = 0; i < declared.size(); i++) {
            Expr e = declared.get(i);
            if (e instanceof Expr.Name n && n.name().isSimple() && !scope.names().containsKey(n.name().last())) {
                scope.names().put(n.name().last(), new Val.Int(actual.dim(i)));
                values[i] = actual.dim(i);
                continue;
            }
            OptionalLong v = intOf(scope, e);
            if (v.isEmpty()) return null;
            values[i] = v.getAsLong();
        }
        return Optional.of(values);
    }

    /** {@code [B, S, hidden] = [8,16,256]}, or only the source when the sizes are not known. */
    private static String describe(List<Expr> declared, Optional<long[]> values) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < declared.size(); i++) b.append(i > 0 ? ", " : "").append(declared.get(i).span().text());
        b.append(']');
        boolean literal = declared.stream().allMatch(e -> e instanceof Expr.Number);
        if (values.isPresent() && !literal) b.append(" = ").append(new Shape(values.get()));
        return b.toString();
    }

    private static Span shapeSpan(List<Expr> declared, Span fallback) {
        return declared.isEmpty() ? fallback : declared.get(0).span().to(declared.get(declared.size() - 1).span());
    }

    /**
     * Whether {@code block} is being instantiated. By identity: a block is one declaration, and the
     * record's own equals would compare whole bodies, statement by statement, at every call.
     */
    private boolean isActive(Decl.Block block) {
        for (Decl.Block b : active) if (b == block) return true;
        return false;
    }

    /** The blocks being instantiated, outermost first, from {@code block}'s first instance, and back to it. */
    private List<String> callChain(Decl.Block block) {
        List<Decl.Block> order = new ArrayList<>(active);
        java.util.Collections.reverse(order);
        List<String> chain = new ArrayList<>();
        int first = 0;
        while (order.get(first) != block) first++;
        for (Decl.Block b : order.subList(first, order.size())) chain.add(b.name().text());
        chain.add(block.name().text());
        return chain;
    }

    private OptionalLong intOf(Scope scope, Expr e) {
        Map<String, Long> ints = new LinkedHashMap<>();
        scope.names().forEach((k, v) -> {
            if (v instanceof Val.Int i) ints.put(k, i.value());
        });
        if (e instanceof Expr.Name n && n.name().isSimple() && scope.names().get(n.name().last()) instanceof Val.Tensor t) {
            error(Diags.tensorForNumber(e.span(), n.name().text(), t.shape()));
            return OptionalLong.empty();
        }
        return new IntEval(ints, diagnostics).eval(e);
    }

    private Optional<Val> eval(Scope scope, Expr e, String name, List<Stmt.Annotation> annotations) {
        if (e instanceof Expr.Call c) return call(scope, c, name, annotations);
        if (!annotations.isEmpty()) {
            Stmt.Annotation a = annotations.get(0);
            error(Diags.annotationOnExpression(a.span(), a.name().text(), e.span().text()));
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
                Expr bad = l.get() instanceof Val.Tensor ? b.right() : b.left();
                Val badVal = l.get() instanceof Val.Tensor ? r.get() : l.get();
                error(Diags.operandNotTensor(bad.span(), bad.span().text(), Val.describe(badVal), b.op()));
                return Optional.empty();
            }
            String fn = switch (b.op()) {
                case "+" -> "add";
                case "*" -> "mul";
                default -> null;
            };
            if (fn == null) {
                error(Diags.notATensorOperator(b.span(), b.op()));
                return Optional.empty();
            }
            if (!lt.shape().equals(rt.shape())) {
                error(Diags.elementwiseShapes(b.span(), b.op(), lt.shape(), rt.shape()));
                return Optional.empty();
            }
            return Optional.of(node(scope, name, new Op.Binary(pdagc.ir.BinaryFn.of(fn)), List.of(lt.node(), rt.node()), lt.shape(), List.of(), b.span()));
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
        if (c.callee().isSimple() && Builtins.isBuiltin(callee, program.ops())) {
            List<Val.Tensor> tensors = new ArrayList<>();
            Map<String, Long> named = new LinkedHashMap<>();
            for (Expr.Arg a : c.args()) {
                if (a.name() == null) {
                    Optional<Val> v = eval(scope, a.value(), name + ".arg", List.of());
                    if (v.isEmpty()) return Optional.empty();
                    if (!(v.get() instanceof Val.Tensor t)) {
                        error(Diags.operationArgumentNotTensor(a.value().span(), a.value().span().text(), Val.describe(v.get())));
                        return Optional.empty();
                    }
                    tensors.add(t);
                } else {
                    OptionalLong v = intOf(scope, a.value());
                    if (v.isEmpty()) return Optional.empty();
                    if (named.put(a.name().text(), v.getAsLong()) != null) {
                        error(Diags.argumentTwice(a.name().span(), callee, a.name().text()));
                        return Optional.empty();
                    }
                }
            }
            List<Parallel> parallel = annotations(annotations);
            if (parallel == null) return Optional.empty();
            Builtins.Result r = new Builtins(model, params, graph, program.ops()).build(callee, c, tensors, named, parallel, diagnostics);
            if (r == null) return Optional.empty();
            // Training scores every position's next token: the head keeps them all.
            if (training && r.op() instanceof Op.LastToken) return Optional.of(tensors.get(0));
            if (r.op() instanceof Op.Dropout d) {
                // Dropout drops only in a training step at a rate above 0; otherwise it is the identity, no op. Its mask is a
                // value of its own (one byte per element), which its gradient reads.
                if (!training || d.p() == 0) return Optional.of(tensors.get(0));
                Val.Tensor mask = node(scope, name + ".mask", new Op.DropoutMask(d.p()), r.inputs(), r.shape(), parallel, c.span());
                return Optional.of(node(scope, name, d, List.of(tensors.get(0).node(), mask.node()), r.shape(), parallel, c.span()));
            }
            return Optional.of(node(scope, name, r.op(), r.inputs(), r.shape(), parallel, c.span()));
        }
        if (program.candidates(scope.block().module(), c.callee()).isEmpty()) {
            java.util.Set<String> known = new java.util.TreeSet<>(Builtins.names(program.ops()));
            known.addAll(program.visibleNames(scope.block().module(), "block"));
            error(Diags.unknownCallee(c.callee().span(), callee, pdagc.program.Names.suggest(c.callee().last(), known)));
            return Optional.empty();
        }
        Optional<Program.Found> found = program.lookup(scope.block().module(), c.callee(), "block", diagnostics);
        if (found.isEmpty()) return Optional.empty();
        if (!annotations.isEmpty()) {
            Stmt.Annotation a = annotations.get(0);
            error(Diags.annotationOnBlockCall(a.span(), a.name().text(), callee));
            return Optional.empty();
        }
        List<Integer> args = new ArrayList<>();
        for (Expr.Arg a : c.args()) {
            if (a.name() != null) {
                error(Diags.blockTakesTensorsOnly(a.span(), callee, a.name().text(), Names.nameOf(found.get().decl()).span()));
                return Optional.empty();
            }
            Optional<Val> v = eval(scope, a.value(), name + ".arg", List.of());
            if (v.isEmpty()) return Optional.empty();
            if (!(v.get() instanceof Val.Tensor t)) {
                error(Diags.blockArgumentNotTensor(a.value().span(), a.value().span().text(), Val.describe(v.get())));
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
                error(Diags.unknownAnnotation(a.name().span(), a.name().text(),
                        pdagc.program.Names.suggest(a.name().text(), List.of("column", "row", "vocab", "experts"))));
                return null;
            }
            if (a.axes().size() != 1 || !MeshAxes.KNOWN.contains(a.axes().get(0).text())) {
                List<String> axes = a.axes().stream().map(x -> x.text()).toList();
                error(Diags.annotationAxes(a.span(), a.name().text(), axes, MeshAxes.KNOWN,
                        axes.size() == 1 ? pdagc.program.Names.suggest(axes.get(0), MeshAxes.KNOWN) : Optional.empty()));
                return null;
            }
            if (a.axes().get(0).text().equals(MeshAxes.PP)) {
                // Pipeline stages split the layers, not a weight: every collective a split over pp
                // needed would run between stages that hold different layers.
                error(Diags.annotationOverPipeline(a.axes().get(0).span(), a.name().text()));
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
