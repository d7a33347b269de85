package pdagc.diag;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import pdagc.ir.Shape;
import pdagc.source.Span;

/**
 * Typed diagnostics, as rustc's derived ones: one static factory per diagnostic, each fixing its
 * code, filling its code's message template from named, typed parameters, and attaching its
 * label, secondary labels, notes and help. A call site names the diagnostic and passes values
 * (`diagnostics.add(Diags.valueTooSmall(span, "layers", 1, 0))`); the compiler checks the
 * parameters, and the code cannot be mixed up with another meaning. The returned builder takes
 * extras a site computes itself.
 *
 * <p>The catch-all codes of the catalogue (E0206, E0401, E0402) and the codes split from them are
 * reported only through here; {@code DiagsTest} holds the rest of the compiler to that.
 */
public final class Diags {

    private Diags() {}

    private static Diagnostic.Builder of(Code code, Span at, Object... args) {
        return Diagnostic.of(code, at, args);
    }

    // ---- E0206: a property's value is out of its range or not one of its choices

    public static Diagnostic.Builder valueTooSmall(Span at, String property, long min, long found) {
        return of(Code.E0206, at, property, "must be at least " + min + ", found " + found).label("too small");
    }

    public static Diagnostic.Builder quantityNotPositive(Span at, String property) {
        return of(Code.E0206, at, property, "must be positive and finite").label("out of range");
    }

    /** {@code found} as written in the source. */
    public static Diagnostic.Builder fractionOutOfRange(Span at, String property, String found) {
        return of(Code.E0206, at, property, "must be in (0, 1], found " + found).label("out of range");
    }

    public static Diagnostic.Builder notAChoice(Span at, String property, List<String> options, Optional<String> suggestion) {
        Diagnostic.Builder d = of(Code.E0206, at, property, "expected one of " + String.join(", ", options)).label("not one of the choices");
        suggestion.ifPresent(s -> d.help("did you mean `" + s + "`?"));
        return d;
    }

    public static Diagnostic.Builder axisSizeOutOfRange(Span at, String axis, long max, long found) {
        return of(Code.E0206, at, axis, "an axis size must be between 1 and " + max + ", found " + found).label("out of range");
    }

    // ---- E0209: a value over what pdagc supports

    public static Diagnostic.Builder tooManyLayers(Span at, long max, long found) {
        return of(Code.E0209, at, "layers", "at most " + max + " layers are supported, found " + found).label("too many layers");
    }

    public static Diagnostic.Builder tooManyGpus(Span at, long max) {
        return of(Code.E0209, at, "count", "at most " + max + " GPUs are supported").label("too many GPUs");
    }

    public static Diagnostic.Builder meshTooLarge(Span at, long max) {
        return of(Code.E0209, at, "mesh", "the mesh has more than " + max + " GPUs").label("too large");
    }

    // ---- E0210: two properties of a model contradict each other

    public static Diagnostic.Builder topExceedsExperts(Span topAt, Span expertsAt, long top, long experts) {
        return of(Code.E0210, topAt, "top", "routes to " + top + " of only " + experts + " experts")
                .label("more than the experts").secondary(expertsAt, "the model has " + experts + " experts");
    }

    public static Diagnostic.Builder kvHeadsNotDividingHeads(Span kvHeadsAt, Span headsAt, long heads, long kvHeads) {
        return of(Code.E0210, kvHeadsAt, "kv_heads", heads + " query heads cannot be grouped over " + kvHeads + " key/value heads")
                .label("does not divide heads").secondary(headsAt, "the model has " + heads + " heads")
                .help("kv_heads must divide heads: equal for multi-head attention, 1 for multi-query attention");
    }

    public static Diagnostic.Builder firstDenseExceedsLayers(Span firstDenseAt, Span layersAt, long layers) {
        return of(Code.E0210, firstDenseAt, "first_dense", "exceeds the " + layers + " layers")
                .label("more than the layers").secondary(layersAt, "the model has " + layers + " layers");
    }

    // ---- E0211: expert parallelism on a model without experts

    public static Diagnostic.Builder noExpertsToSplit(Span epAt, String model, Span modelAt, long ep) {
        return of(Code.E0211, epAt, model, ep)
                .label("expert parallelism needs experts").secondary(modelAt, "model declared without `experts`")
                .help("use `dp " + ep + "` to split the batch instead");
    }

    // ---- E0212: virtual stages and the interleaved schedule go together

    public static Diagnostic.Builder virtualStagesWithoutInterleaving(Span at) {
        return of(Code.E0212, at, "virtual_stages", "virtual stages need `schedule interleaved`")
                .label("only the interleaved schedule runs several chunks per stage");
    }

    public static Diagnostic.Builder nothingToInterleave(Span at) {
        return of(Code.E0212, at, "schedule", "interleaved needs pp > 1 and virtual_stages > 1").label("nothing to interleave");
    }

    // ---- E0213: more pipeline chunks than layers

    public static Diagnostic.Builder moreChunksThanLayers(Span ppAt, Span layersAt, long chunks, long layers) {
        return of(Code.E0213, ppAt, chunks, layers)
                .label("more chunks than layers").secondary(layersAt, layers + " layers")
                .note("every chunk holds at least one layer; chunks are pp x virtual_stages");
    }

    // ---- E0214: stage_layers does not assign the layers to the chunks

    public static Diagnostic.Builder stageLayersMismatch(Span at, Span layersAt, long chunks, long layers, List<Long> counts) {
        return of(Code.E0214, at, chunks, layers, counts)
                .label("does not assign the layers").secondary(layersAt, layers + " layers");
    }

    // ---- E0215: a memory requirement not per GPU

    /** {@code perGiven}: a `per` clause names something other than `gpu`; {@code amount} as written. */
    public static Diagnostic.Builder memoryRequirementNotPerGpu(Span at, boolean perGiven, String amount) {
        return of(Code.E0215, at)
                .label(perGiven ? "not `gpu`" : "add `per gpu`").help("write `require memory <= " + amount + " per gpu`");
    }

    // ---- E0401: shapes that do not fit

    /** {@code declared}: the parameter's shape as written, with its values where they are not literal. */
    public static Diagnostic.Builder blockParameterShape(Span site, String block, String parameter, String declared, Shape given, Span declaredAt) {
        return of(Code.E0401, site, "`" + block + "` takes `" + parameter + "` as " + declared + ", given " + given)
                .label("given " + given).secondary(declaredAt, "`" + parameter + "` declared here");
    }

    public static Diagnostic.Builder elementwiseShapes(Span at, String op, Shape left, Shape right) {
        return of(Code.E0401, at, "`" + op + "` of " + left + " and " + right).label("shapes differ")
                .note("`" + op + "` on tensors is elementwise; both sides must have one shape");
    }

    private static Diagnostic.Builder inCall(Span call, String detail) {
        return of(Code.E0401, call, detail).label("in this call");
    }

    public static Diagnostic.Builder linearGroups(Span call, long outputs, long groups) {
        return inCall(call, "linear's " + outputs + " outputs cannot form " + groups + " equal groups");
    }

    /** A tensor whose last dimension must be {@code formula} (such as `heads * head_dim`), which comes to {@code expected}. */
    public static Diagnostic.Builder tensorWidth(Span call, String tensor, String formula, long expected, long found) {
        return inCall(call, tensor + " must be " + formula + " = " + expected + " wide, found " + found);
    }

    public static Diagnostic.Builder queriesAndKeysDisagree(Span call, Shape queries, Shape keys) {
        return inCall(call, "queries " + queries + " and keys " + keys + " disagree on batch or sequence");
    }

    public static Diagnostic.Builder mlaInputsDisagree(Span call, Shape first, Shape other) {
        return inCall(call, "mla_scores' inputs disagree on batch or sequence: " + first + " and " + other);
    }

    /** {@code over}: what the probabilities weigh, such as "values" or "the latent". */
    public static Diagnostic.Builder probabilitiesMismatch(Span call, Shape probabilities, long heads, String over, Shape overShape) {
        return inCall(call, "probabilities " + probabilities + " do not match " + heads + " heads over " + over + " " + overShape);
    }

    public static Diagnostic.Builder headsNotGrouped(Span call, long heads, long kvHeads) {
        return inCall(call, heads + " query heads cannot be grouped over " + kvHeads + " key/value heads");
    }

    public static Diagnostic.Builder notARouting(Span call, long top, long experts) {
        return inCall(call, "top " + top + " of " + experts + " experts is not a routing");
    }

    public static Diagnostic.Builder tokensAndRoutingDisagree(Span call, Shape tokens, Shape routing) {
        return inCall(call, "tokens " + tokens + " and routing " + routing + " disagree");
    }

    public static Diagnostic.Builder expertCountMismatch(Span call, Shape outputs, long experts) {
        return inCall(call, "expert outputs " + outputs + " do not have the router's " + experts + " experts");
    }

    public static Diagnostic.Builder headNormWidth(Span call, long headDim, long width) {
        return inCall(call, "head_norm over heads of " + headDim + " cannot cover a width of " + width);
    }

    public static Diagnostic.Builder scaleGateShape(Span call, Shape expected, Shape of, Shape found) {
        return inCall(call, "scale's gate must be " + expected + " (one value per row of " + of + "), found " + found);
    }

    public static Diagnostic.Builder operandRank(Span call, String op, int rank, Shape given) {
        return inCall(call, "`" + op + "` needs a tensor of " + rank + " dimensions, given " + given);
    }

    // ---- E0413: a tied head with no embedding table before it

    public static Diagnostic.Builder unembedWithoutEmbed(Span call, long vocab, long dim) {
        return of(Code.E0413, call, vocab, dim).label("in this call");
    }

    // ---- E0414: the workload runs past the positions a model learned

    public static Diagnostic.Builder positionsExceeded(Span call, long reach, long positions) {
        return of(Code.E0414, call, reach, positions).label("in this call");
    }

    // ---- E0415: a routing argument that does not come from a router

    public static Diagnostic.Builder notRouted(Span call) {
        return of(Code.E0415, call).label("in this call");
    }

    // ---- E0402: a call whose arguments do not match what it takes

    public static Diagnostic.Builder blockArity(Span site, String block, int takes, int given, Span declaredAt) {
        return of(Code.E0402, site, block, "takes " + tensors(takes) + ", given " + given)
                .label("given " + tensors(given)).secondary(declaredAt, "declared here");
    }

    public static Diagnostic.Builder argumentTwice(Span at, String callee, String argument) {
        return of(Code.E0402, at, callee, "gets `" + argument + ":` twice").label("given again");
    }

    public static Diagnostic.Builder blockTakesTensorsOnly(Span at, String block, String argument, Span declaredAt) {
        return of(Code.E0402, at, block, "takes tensors only; `" + argument + ":` is not a parameter")
                .label("not a parameter").secondary(declaredAt, "declared here");
    }

    /** {@code names}: the operation's named arguments, an optional one ending in `?`. */
    public static Diagnostic.Builder operationArity(Span call, String op, int tensors, List<String> names, int given) {
        return of(Code.E0402, call, op, "takes " + tensors(tensors) + ", given " + given).label("in this call")
                .note("`" + op + "` takes " + signature(tensors, names));
    }

    /** {@code missing} and {@code extra}: named arguments, each as `name:`. */
    public static Diagnostic.Builder operationArguments(Span call, String op, List<String> missing, List<String> extra, int tensors, List<String> names) {
        String what = (missing.isEmpty() ? "" : "needs " + String.join(", ", missing))
                + (extra.isEmpty() ? "" : (missing.isEmpty() ? "" : " and") + " does not take " + String.join(", ", extra));
        return of(Code.E0402, call, op, what).label("in this call").note("`" + op + "` takes " + signature(tensors, names));
    }

    public static Diagnostic.Builder argumentNotPositive(Span call, String op, String argument, long found) {
        return of(Code.E0402, call, op, "needs a positive `" + argument + ":`, found " + found).label("in this call");
    }

    private static String tensors(int n) {
        return n == 1 ? "1 tensor" : n + " tensors";
    }

    private static String signature(int tensors, List<String> names) {
        List<String> parts = new ArrayList<>();
        parts.add(tensors(tensors));
        if (!names.isEmpty()) {
            parts.add(String.join(", ", names.stream().map(n -> n.endsWith("?") ? "optional `" + n.substring(0, n.length() - 1) + ":`" : "`" + n + ":`").toList()));
        }
        return String.join(" and ", parts);
    }

    // ---- E0409: a parallel annotation where it does not apply

    public static Diagnostic.Builder annotationOnExpression(Span at, String annotation, String expression) {
        return of(Code.E0409, at, "@" + annotation, "does not apply to `" + expression + "`")
                .label("only operations can be annotated").help("annotate a call such as `linear(x, out: 4*hidden) @column(tp)`");
    }

    public static Diagnostic.Builder annotationOnBlockCall(Span at, String annotation, String block) {
        return of(Code.E0409, at, "@" + annotation, "does not apply to block `" + block + "`")
                .label("a block call cannot be annotated").help("annotate the operations inside the block");
    }

    /** {@code allowed}: the annotations the operation takes, without `@`. */
    public static Diagnostic.Builder annotationNotForOperation(Span at, String annotation, String op, List<String> allowed) {
        String help = allowed.isEmpty() ? "`" + op + "` takes no annotation"
                : "`" + op + "` takes " + String.join(" or ", allowed.stream().map(s -> "`@" + s + "`").sorted().toList());
        return of(Code.E0409, at, "@" + annotation, "does not apply to `" + op + "`").label("not allowed here").help(help);
    }

    // ---- E0410: a parallel annotation's mesh axis

    /** {@code axes}: the axes given, other than exactly one known one; {@code known}: the mesh axes. */
    public static Diagnostic.Builder annotationAxes(Span at, String annotation, List<String> axes, List<String> known, Optional<String> suggestion) {
        Diagnostic.Builder d = of(Code.E0410, at, "@" + annotation, "takes one mesh axis, such as `@" + annotation + "(tp)`")
                .note("axes are: " + String.join(", ", known));
        if (axes.size() == 1) {
            d.label("`" + axes.get(0) + "` is not a mesh axis");
            suggestion.ifPresent(s -> d.help("did you mean `" + s + "`?"));
        } else {
            d.label("given " + axes.size() + " axes");
        }
        return d;
    }

    public static Diagnostic.Builder annotationOverPipeline(Span at, String annotation) {
        return of(Code.E0410, at, "@" + annotation + "(pp)", "cannot split a weight: pipeline stages split the layers")
                .label("not a splitting axis").help("split weights over `tp`, `ep`, `etp`, `edp`, `dp` or `cp`; `pp` assigns layers to stages");
    }

    // ---- E0411: parallel annotations that conflict

    public static Diagnostic.Builder annotationTwice(Span at, String annotation, String op, Span firstAt) {
        return of(Code.E0411, at, "@" + annotation, "is given twice on this `" + op + "`")
                .label("a second @" + annotation).secondary(firstAt, "first given here")
                .help("one annotation of each kind splits one dimension over one axis; to split it over several, fold them in the mesh");
    }

    public static Diagnostic.Builder annotationsConflict(Span at, String annotation, String other, Span otherAt) {
        return of(Code.E0411, at, "@" + annotation, "cannot be combined with @" + other)
                .label("conflicts").secondary(otherAt, "given here")
                .help("a weight is split on its output (@column) or on its input (@row), not both");
    }

    // ---- E0412: an arithmetic operator with no tensor meaning

    public static Diagnostic.Builder notATensorOperator(Span at, String op) {
        return of(Code.E0412, at, op).label("not a tensor operation");
    }
}
