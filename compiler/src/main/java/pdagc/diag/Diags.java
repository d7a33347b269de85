package pdagc.diag;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import pdagc.ir.Shape;
import pdagc.source.Span;
import pdagc.units.Dimension;

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

    public static Diagnostic.Builder valueTooLarge(Span at, String property, long max, long found, String why) {
        return of(Code.E0206, at, property, "must be at most " + max + ", found " + found).label("too large").note(why);
    }

    public static Diagnostic.Builder quantityNotPositive(Span at, String property) {
        return of(Code.E0206, at, property, "must be positive and finite").label("out of range");
    }

    /** {@code found} as written in the source. */
    public static Diagnostic.Builder fractionOutOfRange(Span at, String property, String found) {
        return of(Code.E0206, at, property, "must be in (0, 1], found " + found).label("out of range");
    }

    public static Diagnostic.Builder probabilityOutOfRange(Span at, String property, String found) {
        return of(Code.E0206, at, property, "must be in [0, 1), found " + found).label("out of range");
    }

    public static Diagnostic.Builder notAChoice(Span at, String property, List<String> options, Optional<String> suggestion) {
        Diagnostic.Builder d = of(Code.E0206, at, property, "expected one of " + String.join(", ", options)).label("not one of the choices");
        suggestion.ifPresent(s -> d.help("did you mean `" + s + "`?"));
        return d;
    }

    /** A GPU's {@code sm80_compute} above its {@code compute}: kernels built for SM 80 run at most at the GPU's own rate. */
    public static Diagnostic.Builder sm80AboveCompute(Span at, String found, String compute) {
        return of(Code.E0206, at, "sm80_compute", "must be at most the GPU's `compute` (" + compute + "), found " + found).label("out of range")
                .help("`sm80_compute` is the rate of kernels built for SM 80 where the GPU runs them below its own (Hopper: half "
                        + "its dense rate); leave it out where they run at `compute`");
    }

    /** A GPU's {@code l2_bandwidth} below the rate its HBM attains: the L2 cache serves its data at least as fast as HBM. */
    public static Diagnostic.Builder l2BelowHbm(Span at, String found, String hbm) {
        return of(Code.E0206, at, "l2_bandwidth", "must be at least the rate the GPU's HBM attains (`bandwidth` x `bandwidth_efficiency`, "
                + hbm + "), found " + found).label("out of range")
                .help("`l2_bandwidth` is the rate at which the multiprocessors read data held in the L2 cache, as a microbenchmark "
                        + "attains it; leave it out where it is not known");
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

    public static Diagnostic.Builder contextInTraining(Span contextAt, long seq) {
        return of(Code.E0210, contextAt, "context", "a training step attends over its own " + seq + " tokens and keeps no KV cache")
                .label("not the step's `seq`").help("remove `context`: a training step's context is its `seq`");
    }

    public static Diagnostic.Builder contextBelowSeq(Span contextAt, long context, long seq, Span seqAt) {
        return of(Code.E0210, contextAt, "context", context + " positions cannot hold the step's " + seq + " tokens")
                .label("fewer than `seq`").secondary(seqAt, "the step runs " + seq + " tokens per sequence")
                .help("a prefill step's context counts its own tokens (and any cached before them): at least `seq`; leave it out to mean `seq`");
    }

    public static Diagnostic.Builder moeEveryWithoutExperts(Span at, long every) {
        return of(Code.E0210, at, "moe_every", "one layer in " + every + " MoE, but the model has no `experts`")
                .help("give `experts` and `top`, or remove `moe_every`");
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

    // ---- E0216-E0218: serving workloads (`input`, `output`)

    private static final String SERVING_STEPS = "a serving workload compiles its own steps: a prefill of `input` tokens per sequence, "
            + "then `output - 1` decode steps at contexts `input + 1` to `input + output - 1`";

    /** {@code property}: {@code seq}, {@code phase} or {@code context}, given with {@code input} or {@code output} (at {@code servingAt}). */
    public static Diagnostic.Builder servingWithStepProperty(Span at, String property, Span servingAt) {
        return of(Code.E0216, at, property)
                .label("a property of a single step").secondary(servingAt, "a serving workload because of this")
                .note(SERVING_STEPS)
                .help("remove `" + property + "`; or, for one step alone, remove `input` and `output` and give `seq` and `phase`");
    }

    /** A serving workload with both a fixed {@code batch} and a request {@code rate}. */
    public static Diagnostic.Builder batchAndRate(Span batchAt, Span rateAt) {
        return of(Code.E0219, batchAt)
                .label("a fixed batch").secondary(rateAt, "requests arriving at a rate: the engine batches what is in flight")
                .note("a serving workload runs either a fixed batch of requests together, or requests arriving at `rate`, whose batch "
                        + "follows from the rate")
                .help("remove `batch` to serve requests at the rate; or remove `rate` for a fixed batch");
    }

    /** {@code requests}, {@code max_batch} or {@code token_budget}: properties of the run at a rate that pdagc simulates. */
    public static Diagnostic.Builder runPropertyWithoutRate(Span at, String property, String workload) {
        String what = switch (property) {
            case "requests" -> "how many requests arrive at `rate` in the run pdagc simulates";
            case "max_batch" -> "the engine's limit on the requests in flight in the run pdagc simulates";
            case "chunked_prefill" -> "whether the engine of the run pdagc simulates splits prompts over its iterations";
            default -> "the tokens an iteration of the run pdagc simulates prefills at most";
        };
        return of(Code.E0221, at, property, workload).label("a property of a run at a rate")
                .note("`" + property + "` is " + what + "; a fixed batch runs its `batch` together")
                .help("add `rate` to serve requests arriving at a rate; or remove `" + property + "`");
    }

    public static Diagnostic.Builder searchAtRate(Span knobAt, String knob, Span rateAt, String workload) {
        return of(Code.E0220, knobAt, knob, workload).label("a knob of the batch").secondary(rateAt, "requests at a rate")
                .note("at a rate each candidate's batch follows from the rate and its own steps: one request per split of the batch in "
                        + "a prefill, and in decode the requests in flight that keep up with it")
                .help("remove `" + knob + "` to search at the rate; or give the workload a fixed `batch` instead of `rate`");
    }

    public static Diagnostic.Builder outputWithoutInput(Span outputAt) {
        return of(Code.E0217, outputAt).label("tokens to generate, after a prompt of unknown length")
                .note(SERVING_STEPS)
                .help("add `input N`, the prompt's tokens per sequence");
    }

    /** A serving length of zero: {@code property} is {@code input} or {@code output}. */
    public static Diagnostic.Builder servingLengthZero(Span at, String property) {
        boolean input = property.equals("input");
        return of(Code.E0218, at, property, input ? "a prompt has at least one token" : "a request generates at least one token")
                .label("zero")
                .help(input ? "`input 1` is the shortest prompt" : "`output 1` is the prefill alone, which gives the first token");
    }

    // ---- W0219: a property that the workload's phase does not read

    public static Diagnostic.Builder seqIgnoredInDecode(Span seqAt, Span phaseAt) {
        return of(Code.W0219, seqAt).label("not used by decode").secondary(phaseAt, "the workload decodes")
                .help("the tokens already in the KV cache are `context`; remove `seq`, or write `phase prefill` to process `seq` tokens");
    }

    // ---- W0220: a GPU kind that borrows the microbenchmarks of a kind with another chip

    /** {@code differences}: what differs, this kind's figure first, as "142 SMs against 132". */
    public static Diagnostic.Builder measurementsOfAnotherChip(Span at, String lender, String differences) {
        return of(Code.W0220, at, lender, differences).label("another chip's kernels")
                .note("each measurement is read as an efficiency against the lender's data sheet and applied to this one's, which holds for"
                        + " the same chip (the H200 borrows the H100's) and not across chips")
                .help("remove `measurements`: without microbenchmarks the kernels are timed from this GPU's data sheet at its"
                        + " `compute_efficiency` and `bandwidth_efficiency`");
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

    // ---- E00xx: reading and parsing

    /** {@code shown}: the character as it is shown in the message. */
    public static Diagnostic.Builder unexpectedCharacter(Span at, String shown) {
        return of(Code.E0001, at, shown).label("not part of the .pdag language")
                .help("names are letters, digits and `_`; comments start with `//`");
    }

    public static Diagnostic.Builder unterminatedString(Span at) {
        return of(Code.E0002, at, "unterminated string").label("the closing `\"` is missing")
                .help("a string ends on the line where it starts");
    }

    public static Diagnostic.Builder unterminatedComment(Span opening) {
        return of(Code.E0002, opening, "unterminated block comment").label("this comment is never closed").help("close it with `*/`");
    }

    /** {@code found}: the token as shown, `end of file` or the token's text in backquotes; the parser adds the label. */
    public static Diagnostic.Builder unexpectedToken(Span at, String found) {
        return of(Code.E0002, at, "unexpected " + found);
    }

    public static Diagnostic.Builder notUtf8(Span at, int badByte, int byteOffset) {
        return of(Code.E0003, at, String.format(Locale.ROOT, "invalid byte 0x%02X at byte offset %d", badByte & 0xff, byteOffset))
                .label("this byte is not valid UTF-8").help("a .pdag file is UTF-8 text; is this a binary file?");
    }

    public static Diagnostic.Builder cannotRead(Span at, String file, String why) {
        return of(Code.E0004, at, file, why);
    }

    public static Diagnostic.Builder nestedTooDeep(Span at, int max, int depth) {
        return of(Code.E0005, at, max).label("nested " + depth + " deep here").help("split the expression with intermediate names");
    }

    public static Diagnostic.Builder tooManyOperators(Span at, int max, int operator) {
        return of(Code.E0006, at, max).label("operator number " + operator + " of this expression")
                .note("pdagc reads an expression as a tree as deep as its operators")
                .help("compute it in steps: name its parts (an earlier property, or `x = ...` in a block) and use the names");
    }

    // ---- E01xx: imports and names

    public static Diagnostic.Builder moduleNotFound(Span at, String module, String why) {
        return of(Code.E0101, at, module).label("not found").note(why);
    }

    /** {@code chain}: the modules of the cycle, the first repeated at the end. */
    public static Diagnostic.Builder importCycle(Span at, List<String> chain) {
        return of(Code.E0102, at, String.join(" -> ", chain)).label("this import closes the cycle")
                .help("move the shared declarations into a module that both files import");
    }

    public static Diagnostic.Builder declaredTwice(Span at, String name, Span firstAt) {
        return of(Code.E0103, at, name).label("declared again here").secondary(firstAt, "first declared here");
    }

    /** {@code kind}: what was looked for, such as "model" or "block"; the caller adds where it may be found. */
    public static Diagnostic.Builder declarationNotFound(Span at, String kind, String name) {
        return of(Code.E0104, at, kind, name).label("not found");
    }

    /** {@code noneDefined}: no parameter at all is in scope. */
    public static Diagnostic.Builder parameterNotFound(Span at, String name, Optional<String> suggestion, boolean noneDefined) {
        Diagnostic.Builder d = of(Code.E0104, at, "parameter", name).label("not a known number here");
        suggestion.ifPresent(s -> d.help("did you mean `" + s + "`?"));
        if (noneDefined) d.note("no parameters are defined here");
        return d;
    }

    /** {@code modules}: the modules declaring it; the caller adds each declaration as a secondary label. */
    public static Diagnostic.Builder ambiguousName(Span at, String name, String last, List<String> modules) {
        return of(Code.E0105, at, name, String.join(" and ", modules))
                .label("which one?").help("qualify it, as in `" + modules.get(0) + "." + last + "`");
    }

    public static Diagnostic.Builder wrongKind(Span at, String name, String kind, String wanted, Span declaredAt) {
        return of(Code.E0106, at, name, kind, wanted).label("not a " + wanted).secondary(declaredAt, "declared as a " + kind + " here");
    }

    public static Diagnostic.Builder importsTooDeep(Span at, int max) {
        return of(Code.E0107, at, max).label("this import is too deep").help("flatten the import chain");
    }

    // ---- E0201-E0205: properties and units

    /** {@code owner}: what the property is in, such as "model `m`"; the caller adds a suggestion or the known properties. */
    public static Diagnostic.Builder unknownProperty(Span at, String property, String owner) {
        return of(Code.E0201, at, property, owner).label("unknown property");
    }

    /** {@code kind} and {@code name}: the declaration, such as "model" and "`m`". */
    public static Diagnostic.Builder missingProperty(Span declarationAt, String kind, String name, String property) {
        return of(Code.E0202, declarationAt, kind, name, property).label("declared here without `" + property + "`");
    }

    public static Diagnostic.Builder propertyTwice(Span at, String property, Span firstAt) {
        return of(Code.E0203, at, property).label("given again here").secondary(firstAt, "first given here");
    }

    // E0204: a value of the wrong form. {@code found} is the value described, as IntEval.describe gives it.

    public static Diagnostic.Builder quantityForWholeNumber(Span at, String quantity) {
        return of(Code.E0204, at, "a whole number", "the quantity `" + quantity + "`").label("remove the unit");
    }

    public static Diagnostic.Builder fractionForWholeNumber(Span at, String number) {
        return of(Code.E0204, at, "a whole number", "`" + number + "`").label("not a whole number");
    }

    public static Diagnostic.Builder notANumber(Span at, String found) {
        return of(Code.E0204, at, "a whole number", found).label("not a number");
    }

    public static Diagnostic.Builder quantityWithoutUnit(Span at, Dimension dimension, String found) {
        return of(Code.E0204, at, dimension.description() + " with a unit", found).label("needs a unit").help(unitHelp(dimension));
    }

    public static Diagnostic.Builder notAFraction(Span at, String found) {
        return of(Code.E0204, at, "a fraction such as 0.8", found).label("not a fraction");
    }

    public static Diagnostic.Builder notAName(Span at, String found) {
        return of(Code.E0204, at, "a name", found).label("not a name");
    }

    public static Diagnostic.Builder propertyWithoutValue(Span at, String property) {
        return of(Code.E0204, at, "a value after `" + property + "`", "a nested body").label("needs a value");
    }

    /** {@code found}: empty where nothing is given. */
    public static Diagnostic.Builder notAMesh(Span at, Optional<String> found) {
        return of(Code.E0204, at, "a mesh such as `[dp 2, tp 4]`", found.orElse("nothing")).label("not a mesh");
    }

    /** {@code found}: empty where nothing is given. */
    public static Diagnostic.Builder notAList(Span at, Optional<String> found) {
        return of(Code.E0204, at, "a list such as `[8, 8]`", found.orElse("nothing")).label("not a list");
    }

    /** {@code property}: what needs {@code needed}, such as a property or a requirement's metric. */
    public static Diagnostic.Builder wrongUnit(Span at, String unit, Dimension measures, String property, Dimension needed) {
        return of(Code.E0205, at, unit, measures.description(), property, needed.description()).label("wrong unit").help(unitHelp(needed));
    }

    private static String unitHelp(Dimension dim) {
        return switch (dim) {
            case BYTES -> "write bytes as `80 GB` or `64 GiB`";
            case SECONDS -> "write time as `10 s` or `50 ms`";
            case BYTES_PER_SECOND -> "write bandwidth as `3.35 TB/s` or `400 Gb/s`";
            case FLOPS_PER_SECOND -> "write compute as `989 TFLOP/s`";
            case TOKENS_PER_SECOND -> "write throughput as `1000 tok/s`";
            case REQUESTS_PER_SECOND -> "write a request rate as `4 req/s`";
            case COUNT -> "write a plain number";
        };
    }

    // ---- E0207: integer overflow

    private static String maxLong() {
        return String.format(Locale.ROOT, "%,d", Long.MAX_VALUE);
    }

    public static Diagnostic.Builder literalTooLarge(Span at, String literal) {
        return of(Code.E0207, at, "`" + literal + "` does not fit in 64 bits").label("too large");
    }

    /** {@code what}: the computation that overflowed. */
    public static Diagnostic.Builder arithmeticOverflow(Span at, String what) {
        return of(Code.E0207, at, what).label("the result does not fit in 64 bits");
    }

    /** {@code what}: the count that overflowed, such as "the FLOPs of layer 3". */
    public static Diagnostic.Builder deploymentSizesOverflow(Span deploymentAt, String what) {
        return of(Code.E0207, deploymentAt, what + " goes past " + maxLong())
                .label("the sizes of this deployment")
                .note("pdagc counts elements, FLOPs and bytes exactly, in 64-bit integers")
                .help("check the sizes of the model and the workload (`seq`, `batch`, `context`, `hidden`, `heads`, `experts`): "
                        + "no GPU could run a step this large");
    }

    public static Diagnostic.Builder parameterCountOverflow(Span modelAt, String what, String model) {
        return of(Code.E0207, modelAt, what + " of model `" + model + "` goes past " + maxLong())
                .label("the sizes of this model")
                .note("pdagc counts parameters exactly, in 64-bit integers")
                .help("check the model's sizes (`hidden`, `heads`, `ffn`, `experts`, `vocab`)");
    }

    // ---- E0208: a division that is not whole

    public static Diagnostic.Builder headsNotDividingHidden(Span headsAt, Span hiddenAt, long hidden, long heads) {
        return of(Code.E0208, headsAt, "hidden / heads", hidden + " / " + heads)
                .label(heads + " heads do not divide hidden").secondary(hiddenAt, "hidden is " + hidden)
                .help("give `head_dim` explicitly");
    }

    /** {@code expression}: the division as written. */
    public static Diagnostic.Builder inexactDivision(Span at, String expression, long dividend, long divisor) {
        return of(Code.E0208, at, "`" + expression + "`", dividend + " / " + divisor)
                .label("does not divide exactly").help("sizes must divide exactly");
    }

    public static Diagnostic.Builder divisionByZero(Span at, String expression) {
        return of(Code.E0208, at, "`" + expression + "`", "division by zero").label("divides by zero");
    }

    // ---- E0301-E0308: deployments and strategies

    /** {@code reasons}: the rejections, most frequent first, each with its count. */
    public static Diagnostic.Builder noFeasibleStrategy(Span at, long candidates, String search, boolean requirements, List<String> reasons) {
        Diagnostic.Builder d = of(Code.E0320, at, String.format(Locale.ROOT, "%,d", candidates), search,
                requirements ? "fits the GPUs and meets the requirements" : "fits the GPUs").label("searched here");
        for (String r : reasons) d.note("rejected: " + r);
        return d.help(requirements ? "relax a `require` clause, free a fixed knob or add GPUs" : "free a fixed knob or add GPUs");
    }

    public static Diagnostic.Builder nothingToSearch(Span at, String file) {
        return of(Code.E0321, at, file).label("no `search` or `deploy` here")
                .help("add `search NAME = MODEL on CLUSTER for WORKLOAD { ... }`, or a deploy whose model, cluster and workload are searched");
    }

    public static Diagnostic.Builder noDeployment(Span at, String file) {
        return of(Code.E0301, at, file).label("no `deploy` here").help("add `deploy NAME = MODEL on CLUSTER with STRATEGY for WORKLOAD`");
    }

    /** {@code product}: the axis sizes multiplied, as written in the label. */
    public static Diagnostic.Builder meshSizeMismatch(Span meshAt, String product, int meshGpus, Span countAt, int gpus) {
        return of(Code.E0302, meshAt, meshGpus, gpus).label(product + " = " + meshGpus)
                .secondary(countAt, "the cluster has " + gpus + " GPUs").help("make the axis sizes multiply to " + gpus);
    }

    // E0303: a parallel size that does not divide what it splits

    /** {@code what}: the parallelism, such as "tensor-parallel"; {@code noun}: the parameter's items, such as "attention heads". */
    public static Diagnostic.Builder axisNotDividingParameter(Span axisAt, String what, int size, long value, String noun, String parameter, String declaredAt) {
        return of(Code.E0303, axisAt, what, size, value, noun).label(value + " " + noun + " cannot be split " + size + " ways")
                .note(parameter + " is declared at " + declaredAt);
    }

    /** {@code axes}: the batch axes present in the mesh. */
    public static Diagnostic.Builder batchNotDivided(Span at, long ways, long batch, Span batchAt, List<String> axes, int microBatches) {
        return of(Code.E0303, at, "data-parallel", ways, batch, "sequences of the batch")
                .label("splits the batch " + ways + " ways")
                .secondary(batchAt, "batch declared here")
                .note("the batch is split over " + String.join(" x ", axes)
                        + (microBatches > 1 ? " and into " + microBatches + " micro-batches" : ""));
    }

    public static Diagnostic.Builder contextNotDividingSequence(Span cpAt, long cp, long seq, Span seqAt) {
        return of(Code.E0303, cpAt, "context-parallel", cp, seq, "tokens of each sequence").secondary(seqAt, "seq declared here");
    }

    public static Diagnostic.Builder sequenceParallelNotDividing(Span at, long tp, long tokens, boolean perCpRank, boolean decode) {
        return of(Code.E0303, at, "sequence-parallel", tp, tokens, "tokens of each sequence" + (perCpRank ? " on each cp rank" : ""))
                .label("splits the sequence over the " + tp + " tp ranks")
                .help(decode ? "decode runs one token per sequence: turn sequence parallelism off" : "choose a sequence length divisible by " + tp);
    }

    public static Diagnostic.Builder microBatchesNotInGroups(Span at, int stages, int microBatches) {
        return of(Code.E0303, at, "pipeline-parallel", stages, microBatches, "micro-batches")
                .label("the interleaved schedule runs micro-batches in groups of pp").help("use a multiple of " + stages + " micro-batches");
    }

    /** {@code dim}: the dimension of {@code shape} that {@code axes}, {@code ways} GPUs in all, do not divide. */
    public static Diagnostic.Builder tensorNotSplitEvenly(Span at, String tensor, List<String> axes, int ways, int dim, Shape shape) {
        return of(Code.E0303, at, String.join(" x ", axes), ways, "dimension " + dim + " of " + shape + " in", "`" + tensor + "`")
                .label("this tensor cannot be split evenly").help("choose axis sizes that divide " + shape.dim(dim));
    }

    public static Diagnostic.Builder unknownAxis(Span at, String axis, List<String> allowed, Optional<String> suggestion) {
        Diagnostic.Builder d = of(Code.E0304, at, axis).label("not a parallel axis here").note("axes are: " + String.join(", ", allowed));
        suggestion.ifPresent(s -> d.help("did you mean `" + s + "`?"));
        return d;
    }

    public static Diagnostic.Builder axisTwice(Span at, String axis, Span firstAt) {
        return of(Code.E0305, at, axis).label("given again").secondary(firstAt, "first given here");
    }

    public static Diagnostic.Builder epInBothMeshes(Span epAt) {
        return of(Code.E0305, epAt, "ep").label("ep is in the mesh and in the expert mesh")
                .help("with an expert mesh, the strategy's mesh names dp, tp, cp and pp only");
    }

    public static Diagnostic.Builder zeroStage(Span at, long stage) {
        return of(Code.E0315, at, stage).label("no such stage").help("write `zero 1` for Megatron's distributed optimizer, `zero 3` for FSDP's full sharding");
    }

    public static Diagnostic.Builder zeroWithoutDataParallel(Span at, int stage, String strategy) {
        return of(Code.E0316, at, stage, strategy).label("nothing to shard over")
                .help("add a `dp` (or `cp`) axis to the mesh, or write `zero 0`");
    }

    /** {@code overlap_grad_reduce} on a strategy without data-parallel ranks: no gradient is reduced over them, nothing overlaps. */
    public static Diagnostic.Builder overlapWithoutDataParallel(Span at, String strategy) {
        return of(Code.W0325, at, strategy).label("nothing to overlap")
                .help("add a `dp` (or `cp`) axis to the mesh, or remove it");
    }

    public static Diagnostic.Builder trainingOptionIgnored(Span at, String property, String workload, String phase) {
        return of(Code.W0317, at, property, workload, phase).label("ignored").help("remove it, or give the workload `phase train`");
    }

    /**
     * ZeRO's optimizer step keeps a weight whole where no dimension of it divides evenly over the
     * ranks its gradient is reduced over: {@code weights} names them, {@code extraBytes} is what
     * their unsharded model states add on one GPU.
     */
    public static Diagnostic.Builder zeroCannotShard(Span at, int zero, List<String> weights, long ranks, String extraBytes) {
        String what = weights.size() == 1 ? "weight `" + weights.get(0) + "`" : weights.size() + " weights";
        return of(Code.W0319, at, what, ranks, weights.size() == 1 ? "its gradient" : "their gradients", weights.size() == 1 ? "its" : "their")
                .label("ZeRO stage " + zero)
                .note("pdagc splits a tensor into equal blocks along a dimension; no dimension of "
                        + (weights.size() == 1 ? "it" : "them (" + String.join(", ", weights.subList(0, Math.min(3, weights.size())))
                                + (weights.size() > 3 ? ", ..." : "") + ")")
                        + " divides by " + ranks + ", and a padded flat buffer, as distributed optimizers shard, is not modelled")
                .note("so " + (weights.size() == 1 ? "its gradient is" : "their gradients are") + " all-reduced and every GPU keeps "
                        + extraBytes + " more of model states than an even shard would")
                .help("use a data-parallel size that divides the weights' dimensions");
    }

    public static Diagnostic.Builder noGradientRule(Span at, String model, String op) {
        return of(Code.E0318, at, model, op).label("no backward pass for this operation")
                .note("every built-in operation has a gradient rule; a function added to the operation set has one when it defines its derivative")
                .help("define `" + op + "`'s derivative, or serve this model (phase prefill or decode)");
    }

    // E0306: a feature not supported yet

    public static Diagnostic.Builder spAsMeshAxis(Span at) {
        return of(Code.E0306, at, "`sp` as a mesh axis").label("sequence parallelism uses the tp ranks, it adds no GPUs")
                .help("remove `sp` from the mesh and write `sequence_parallel true` in the strategy");
    }

    public static Diagnostic.Builder expertAxisInMesh(Span at, String axis) {
        return of(Code.E0306, at, "`" + axis + "` in the strategy's mesh")
                .label("an expert axis").help("fold the experts with `expert_mesh [ep N, etp M]`; etp is tp when there is none");
    }

    public static Diagnostic.Builder searchInterleavedMoe(Span moeEveryAt) {
        return of(Code.E0306, moeEveryAt, "searching a model whose MoE layers are interleaved with dense ones")
                .label("the search's estimate takes the dense layers first, then the MoE layers")
                .help("write the strategy in a `deploy`: `check` and every `--emit` compile it");
    }

    public static Diagnostic.Builder contextParallelInDecode(Span cpAt) {
        return of(Code.E0306, cpAt, "context parallelism in decode")
                .label("decode runs one token per sequence").help("use cp for long prefills; use dp to spread decode sequences");
    }

    /** {@code what}: the parallelism, such as "pipeline parallelism". */
    public static Diagnostic.Builder axisNotImplemented(Span axisAt, String what) {
        return of(Code.E0306, axisAt, what).label("not implemented in this version").help("give this axis size 1 or leave it out");
    }

    /** {@code resharding}: the change of sharding, as the partitioner describes it. */
    public static Diagnostic.Builder reshardingNotSupported(Span consumerAt, String resharding, Span producerAt) {
        return of(Code.E0306, consumerAt, "this resharding (" + resharding + ")")
                .label("needed by this operation").secondary(producerAt, "produced here");
    }

    /** A partial last node: allowed, and costed as it is. */
    public static Diagnostic.Builder nodesNotFilled(Span countAt, int gpus, int perNode) {
        int nodes = (gpus + perNode - 1) / perNode;
        int last = gpus - (nodes - 1) * perNode;
        String lastGpus = last == 1 ? "GPU " + (gpus - 1) : "GPUs " + (gpus - last) + "-" + (gpus - 1);
        return of(Code.W0307, countAt, gpus, perNode, last == 1 ? "1 GPU" : last + " GPUs").label("not a multiple of per_node")
                .note("GPUs are numbered node by node: " + lastGpus + " share node " + (nodes - 1) + " of " + nodes
                        + "; a collective whose GPUs are all in one node is costed at NVLink's bandwidth and latency, any other at the"
                        + " network's (`network`, per GPU), as in full nodes");
    }

    public static Diagnostic.Builder deploymentNotFound(Span at, String name, List<String> declared) {
        return of(Code.E0308, at, name, declared.isEmpty() ? "(none)" : String.join(", ", declared));
    }

    /** {@code what}: the parallelism, such as "tensor-parallel". */
    public static Diagnostic.Builder groupCrossesNodes(Span axisAt, String axis, String what, int size, int nodes, int perNode) {
        return of(Code.W0309, axisAt, what, size, nodes, perNode).label("its collectives cross the network")
                .help("put `" + axis + "` last in the mesh and keep it within " + perNode + " GPUs");
    }

    public static Diagnostic.Builder pipelineNeverFills(Span at, int microBatches, int stages, Span ppAt, double bubbleFraction) {
        return of(Code.W0310, at, microBatches, stages)
                .label("fewer micro-batches than stages").secondary(ppAt, stages + " stages")
                .note(String.format(Locale.ROOT, "1F1B keeps up to pp micro-batches in flight; with fewer the stages idle %.0f%% of the time",
                        100 * bubbleFraction))
                .help("use at least " + stages + " micro-batches, or `schedule gpipe`");
    }

    public static Diagnostic.Builder expertMeshSize(Span at, int size, int stage, Span meshAt) {
        return of(Code.E0311, at, size, stage).label(size + " GPUs")
                .secondary(meshAt, stage + " GPUs per pipeline stage").help("the expert mesh folds the GPUs of one pipeline stage");
    }

    public static Diagnostic.Builder expertMeshNotNested(Span at, int size, int stage) {
        return of(Code.E0311, at, size, stage).label("its axes do not nest with the mesh's")
                .note("each expert axis must cover whole factors of the mesh's axes in rank order, e.g. [ep 8, etp 4] over [dp 8, tp 4]");
    }

    /** {@code file}: the file as displayed; {@code names}: its deploys, in order. */
    public static Diagnostic.Builder severalDeploys(Span secondAt, String file, List<String> names) {
        return of(Code.E0312, secondAt, file, names.size(), String.join(", ", names))
                .label("a second deploy").help("choose one with `--deploy " + names.get(0) + "`; `pdagc check` checks them all");
    }

    public static Diagnostic.Builder splitTwice(Span at, String tensor, String axis, List<?> annotations) {
        return of(Code.E0313, at, tensor, axis, "its annotations " + annotations + " use GPUs in common")
                .label("annotated here")
                .help("split each dimension over axes that share no GPUs (with an expert mesh, `ep`, `etp` and `edp` fold the strategy's axes)");
    }

    public static Diagnostic.Builder sequenceSplitTpThenCp(Span sequenceParallelAt, Span cpAt) {
        return of(Code.W0314, sequenceParallelAt)
                .label("the sequence is split over tp, then cp")
                .secondary(cpAt, "cp after tp")
                .help("put `cp` before `tp` in the mesh: each cp rank's tokens then split over its tp ranks locally");
    }

    // ---- E0403-E0408: blocks

    /** {@code declared}: the declared result shape, with its values where they are known. */
    public static Diagnostic.Builder blockResultShape(Span at, String block, Shape actual, String declared, Span declaredAt) {
        return of(Code.E0403, at, block, actual.toString(), declared).label("this is " + actual).secondary(declaredAt, "declared here");
    }

    public static Diagnostic.Builder unknownCallee(Span at, String callee, Optional<String> suggestion) {
        Diagnostic.Builder d = of(Code.E0404, at, callee).label("not found");
        suggestion.ifPresent(s -> d.help("did you mean `" + s + "`?"));
        return d;
    }

    // E0405: a value of the wrong kind. {@code expression} as written; {@code found} as Val.describe gives it.

    public static Diagnostic.Builder returnNotTensor(Span at, String expression, String found) {
        return of(Code.E0405, at, expression, found, "a tensor").label("not a tensor").help("a block returns the tensor it computes");
    }

    public static Diagnostic.Builder tensorForNumber(Span at, String name, Shape shape) {
        return of(Code.E0405, at, name, "a tensor " + shape, "a number").label("not a number");
    }

    public static Diagnostic.Builder operandNotTensor(Span at, String expression, String found, String op) {
        return of(Code.E0405, at, expression, found, "a tensor").label("not a tensor")
                .note("`" + op + "` on tensors is elementwise; both sides must be tensors of one shape");
    }

    /** A positional argument of an operation: numbers go by name. */
    public static Diagnostic.Builder operationArgumentNotTensor(Span at, String expression, String found) {
        return of(Code.E0405, at, expression, found, "a tensor").label("not a tensor").help("pass numbers by name, as in `out: 4*hidden`");
    }

    /** An argument of a block, which takes tensors only. */
    public static Diagnostic.Builder blockArgumentNotTensor(Span at, String expression, String found) {
        return of(Code.E0405, at, expression, found, "a tensor").label("not a tensor");
    }

    public static Diagnostic.Builder recursiveBlock(Span site, String block) {
        return of(Code.E0406, site, block).label("recursive call")
                .note("blocks are inlined where they are called, so a recursive block never ends");
    }

    public static Diagnostic.Builder blockWithoutReturn(Span nameAt, String block) {
        return of(Code.E0407, nameAt, block).label("add `return` with the block's output");
    }

    public static Diagnostic.Builder unknownAnnotation(Span at, String annotation, Optional<String> suggestion) {
        Diagnostic.Builder d = of(Code.E0408, at, annotation).label("unknown annotation").note("annotations are @column, @row, @vocab, @experts");
        suggestion.ifPresent(s -> d.help("did you mean `@" + s + "`?"));
        return d;
    }

    // ---- E05xx: requirements and limits

    /** {@code measured}: what was measured, as in "tpot"; {@code figure} and {@code limit} as shown; {@code detail}: the breakdown or the path. */
    public static Diagnostic.Builder requirementNotMet(Span at, String measured, String figure, String comparison, String limit, String detail) {
        return of(Code.E0501, at, measured + " is " + figure + ", limit " + comparison + " " + limit).label("violated").note(detail);
    }

    public static Diagnostic.Builder unknownRequirement(Span at, String metric, List<String> metrics, Optional<String> suggestion) {
        Diagnostic.Builder d = of(Code.E0502, at, metric).label("unknown metric").note("requirements are: " + String.join(", ", metrics));
        suggestion.ifPresent(s -> d.help("did you mean `" + s + "`?"));
        return d;
    }

    /** {@code gpus}: the GPU, with how many others; {@code needs} and {@code has} as sizes; {@code breakdown}: what the memory holds. */
    public static Diagnostic.Builder outOfMemory(Span deploymentAt, String gpus, String needs, String has, String breakdown) {
        return of(Code.E0503, deploymentAt, gpus, needs, has).label("does not fit").note(breakdown)
                .help("split the model over more GPUs (tp, ep or pp) or use GPUs with more memory");
    }

    /** A serving workload's {@code rate} beyond what the deployment sustains: {@code why} says which limit, {@code most} what it sustains. */
    public static Diagnostic.Builder rateBeyondCapacity(Span rateAt, String rate, String deploy, String why, String most) {
        return of(Code.E0508, rateAt, rate, deploy, why).label("too many requests per second")
                .note("at a request rate the engine prefills each arriving request and decodes every request in flight together; "
                        + "the steady state needs the prefills to take less than all of the time and the requests in flight to fit in memory"
                        + " (and within the workload's `max_batch`)")
                .help(most);
    }

    public static Diagnostic.Builder requirementNotEvaluated(Span at, String metric, String why) {
        return of(Code.W0504, at, metric, why).label("not checked");
    }

    public static Diagnostic.Builder dagTooLarge(Span deploymentAt, long nodes, long edges, long budget) {
        return of(Code.E0505, deploymentAt, nodes, edges, String.format(Locale.ROOT, "%,d", budget)).label("this deployment")
                .note("the per-GPU DAG lists every op of every GPU and micro-batch")
                .help("the SPMD program every GPU runs is small: see it with `--print-ir-after insert-collectives`; or plan fewer GPUs or micro-batches");
    }

    public static Diagnostic.Builder stagesTooLarge(Span deploymentAt, long nodes, long max, int stages, int microBatches, int ops) {
        return of(Code.E0506, deploymentAt, String.format(Locale.ROOT, "%,d", nodes), String.format(Locale.ROOT, "%,d", max))
                .label("this deployment")
                .note("validation and analysis walk one GPU of each pipeline stage: every op of the stage for every micro-batch ("
                        + stages + " stages, " + microBatches + " micro-batches, " + ops + " ops in the SPMD program)")
                .help("plan fewer micro-batches or pipeline stages: the schedule's costs repeat from one micro-batch to the next");
    }

    /**
     * A drawing whose layout ran past its deadline; {@code engine} as {@code SvgEngine} describes
     * it, {@code deadline} as the user would write it ({@code 60 s}).
     */
    public static Diagnostic.Builder layoutTimedOut(Span deploymentAt, String view, int nodes, int edges, String engine, String deadline) {
        return of(Code.E0507, deploymentAt, view, nodes, edges, engine, deadline)
                .label("the drawing of this deployment")
                .note("the layout engine and every process it started were ended; no file was written")
                .help("draw a smaller view (`--view roles:layer:0`, `--view gpu:0`), write the DOT text with `--emit dot` and lay it"
                        + " out elsewhere, or allow more time with `--layout-timeout SECONDS`");
    }

    // ---- E06xx: importing model configs and counting models

    private static final String GIVE_CONFIG = "give the model's config.json from its Hugging Face repository";

    /** {@code found}: what the file holds instead, such as "an empty file". */
    public static Diagnostic.Builder configNotAnObject(Span at, String file, String found) {
        return of(Code.E0601, at, file, found).label("a config.json is one object of fields").help(GIVE_CONFIG);
    }

    /** {@code problem}: the JSON parser's first line. */
    public static Diagnostic.Builder configNotJson(Span at, String file, String problem) {
        return of(Code.E0601, at, file, "not valid JSON").label(problem).help(GIVE_CONFIG);
    }

    public static Diagnostic.Builder configUnreadable(Span at, String file, String why) {
        return of(Code.E0601, at, file, why);
    }

    /** {@code inTextConfig}: the type of a multimodal config's language model. */
    public static Diagnostic.Builder unsupportedModelType(Span at, String type, boolean inTextConfig, List<String> supported, Optional<String> suggestion) {
        Diagnostic.Builder d = of(Code.E0602, at, inTextConfig ? type + "` in `text_config" : type)
                .label(inTextConfig ? "the language model's type, not one pdagc imports" : "not a model_type pdagc imports")
                .note("supported model_types: " + String.join(", ", supported));
        suggestion.ifPresent(s -> d.help("did you mean `" + s + "`?"));
        return d;
    }

    /** {@code modelType}: empty before the model type is known. */
    public static Diagnostic.Builder configFieldMissing(Span at, String field, Optional<String> modelType) {
        return of(Code.E0603, at, field, modelType.map(t -> ", which model_type " + t + " needs").orElse(""))
                .label("no `" + field + "` in this object")
                .help("add `\"" + field + "\"` as the model's config.json on Hugging Face gives it");
    }

    /** {@code found}: the value as written. */
    public static Diagnostic.Builder configFieldWrong(Span at, String field, String expected, String found) {
        return of(Code.E0604, at, field, expected, found).label("not " + expected);
    }

    public static Diagnostic.Builder configFieldTwice(Span at, String field, Span firstAt) {
        return of(Code.E0605, at, "`" + field + "` is given twice").label("given again here")
                .secondary(firstAt, "first given here").help("keep one of them");
    }

    /** {@code otherAt}: the field it contradicts, where the config has it (null or none otherwise). */
    public static Diagnostic.Builder configContradiction(Span at, String why, Span otherAt) {
        return of(Code.E0605, at, why).label("here").secondary(otherAt, "and here");
    }

    /** {@code found}: the field's value as written; {@code help}: null for none. */
    public static Diagnostic.Builder importerUnsupported(Span at, String field, String what, String found, String help) {
        Diagnostic.Builder d = of(Code.E0606, at, what).label("`" + field + "` is " + found);
        if (help != null) d.help(help);
        return d;
    }

    public static Diagnostic.Builder noModel(Span at, String file) {
        return of(Code.E0607, at, file).label("no `model` here, and no deploy that names one")
                .help("declare a model, or import one: `pdagc import hf config.json`");
    }

    /** {@code found}: the field's value as written; {@code note}: what it changes. */
    public static Diagnostic.Builder notModelled(Span at, String field, String what, String found, String note) {
        return of(Code.W0608, at, what).label("`" + field + "` is " + found).note(note);
    }

    /** {@code method}: {@code quant_method fp8} and the like, as the config says it. */
    public static Diagnostic.Builder quantizationNotModelled(Span at, String method, boolean fp8) {
        Diagnostic.Builder d = of(Code.W0610, at, method).label("`quantization_config` is read for this warning only")
                .note("parameter counts do not depend on it; memory and time follow the `dtype` of the workload that deploys the model,"
                        + " and quantization scales are not counted");
        return fp8 ? d.help("to cost the checkpoint as it is stored, write `dtype fp8` in the workload (fp8 weights, KV cache and matmuls,"
                + " activations in 16 bits)") : d.help("a workload's `dtype` is one of bf16, fp16, fp32 and fp8: pick the nearest");
    }

    public static Diagnostic.Builder onlyTextConfigImported(Span at, String modelType) {
        return of(Code.W0609, at, modelType)
                .label("the language model, imported").note("the vision tower and the projector are not counted or deployed");
    }

    // ---- E07xx: launch configurations of other engines (`--emit launch`) and `pdagc import megatron`

    /** A feature of the plan that the target engine's flags cannot say: never a silently different plan. */
    public static Diagnostic.Builder launchCannotExpress(Span at, String target, String feature, String label, String help) {
        return of(Code.E0701, at, target, feature).label(label).help(help);
    }

    /** A training plan for a serving engine, or an inference plan for a training framework. */
    public static Diagnostic.Builder launchWrongWorkload(Span at, String target, String runs, String workload, String is, String help) {
        return of(Code.E0702, at, target, runs, workload, is).label("this workload").help(help);
    }

    /** A setting that the engine decides itself at run time, so the launch flags do not carry it. */
    public static Diagnostic.Builder launchNotPassed(Span at, String setting, String target, String why) {
        return of(Code.W0703, at, setting, target, why).label("not in the flags");
    }

    /** Megatron-LM's GPT drops the embedding's output at --hidden-dropout; a model whose embedding block does not differs there only. */
    public static Diagnostic.Builder launchEmbeddingDropout(Span at, String target, String rate) {
        return of(Code.W0704, at, target, "the embedding's output", rate).label("this embedding block has no dropout")
                .note("the weights, shapes and collectives are the same; the training step draws one more dropout mask")
                .help("`embed gpt2_embedding` drops its output as Megatron-LM does (it adds learned positions: `positions N`)");
    }

    /** Megatron-LM's load-balanced context-parallel split (get_batch_on_this_cp_rank) against pdagc's contiguous one. */
    public static Diagnostic.Builder contextParallelChunks(Span at, long cp, String label) {
        return of(Code.W0705, at, cp, 2 * cp, cp).label(label)
                .note("Megatron-LM's rank i holds chunks i and " + (2 * cp - 1) + " - i, which balances causal attention; the collectives and their"
                        + " sizes are the same, each rank's share of the attention's work is not")
                .help("the step computes the same values either way; pdagc's plan and figures are those of the contiguous split");
    }

    public static Diagnostic.Builder megatronUnknownFlag(Span at, String flag, Optional<String> suggestion) {
        Diagnostic.Builder d = of(Code.E0711, at, flag).label("not an argument of megatron/training/arguments.py (Megatron-LM core_v0.15.0)");
        suggestion.ifPresent(s -> d.help("did you mean `" + s + "`?"));
        return d;
    }

    public static Diagnostic.Builder megatronBadValue(Span at, String flag, String problem, String help) {
        return of(Code.E0712, at, flag, problem).label("this value").help(help);
    }

    public static Diagnostic.Builder megatronMissingFlag(Span at, String flag, String why) {
        return of(Code.E0713, at, flag, why).label("the command line").help("add `" + flag + " N`");
    }

    public static Diagnostic.Builder megatronUnsupportedFlag(Span at, String flag, String why, String help) {
        return of(Code.E0714, at, flag, why).label("this flag").help(help);
    }

    public static Diagnostic.Builder megatronContradiction(Span at, String what, String label) {
        return of(Code.E0715, at, what).label(label);
    }

    public static Diagnostic.Builder megatronFlagIgnored(Span at, String flag) {
        return of(Code.W0716, at, flag).label("a Megatron-LM flag outside the plan (data, logging, checkpoints, learning rate...)")
                .note("the imported file describes the model, cluster, workload and strategy only");
    }

    // ---- E0901: a generated plan fails validation, a compiler bug

    public static Diagnostic.Builder planInvalid(Span deploymentAt, String problem) {
        return of(Code.E0901, deploymentAt, problem).label("in the plan of this deployment")
                .note("this is a bug in pdagc; please report it with this file");
    }
}
