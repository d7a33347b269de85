package pdagc.javagen;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.ParameterizedTypeName;
import com.palantir.javapoet.TypeName;
import com.palantir.javapoet.TypeSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.lang.model.element.Modifier;
import pdagc.ir.Graph;
import pdagc.ir.Op;
import pdagc.mesh.MeshAxes;
import pdagc.mesh.Pipeline;
import pdagc.spmd.SpmdNode;
import pdagc.spmd.SpmdProgram;

/**
 * The class of one distinct GPU program: the ops of one pipeline stage's chunks, which every GPU of
 * that stage runs on its own shards. A GPU constructs it with its mesh coordinates, which fix its
 * shard offsets and, once, its collective groups; {@code run()} then executes the stage's
 * schedule unit by unit (micro-batch through chunk, in {@link Pipeline#order(int)}), each chunk
 * as a sequence of per-layer methods ({@link Segments}).
 */
final class StageProgram {
    private final GeneratedTypes types;
    private final SpmdProgram program;
    private final Graph logical;
    private final int stage;
    private final long attentionContext;
    private final String planDoc;
    private final JavaNames.Scope members;
    private final Coordinates coords;
    private final Map<String, String> groupFields = new LinkedHashMap<>();
    private final String runtimeField;
    private final TypeName runtimeType;

    StageProgram(GeneratedTypes types, SpmdProgram program, Graph logical, int stage, long attentionContext, String planDoc) {
        this.types = types;
        this.program = program;
        this.logical = logical;
        this.stage = stage;
        this.attentionContext = attentionContext;
        this.planDoc = planDoc;
        this.members = new JavaNames.Scope(types.reserved());
        this.runtimeField = members.claim("rt");
        this.runtimeType = ParameterizedTypeName.get(types.runtime(), RuntimeApi.Types.T);
        this.coords = new Coordinates(program.mesh(), stage, members);
    }

    /** The program's ops by chunk, in program order. */
    private Map<Integer, List<SpmdNode>> chunks() {
        Map<Integer, List<SpmdNode>> out = new LinkedHashMap<>();
        Pipeline p = program.pipeline();
        for (int c = stage; c < p.chunks(); c += p.stages()) out.put(c, new ArrayList<>());
        for (SpmdNode n : program.nodes()) if (out.containsKey(n.chunk())) out.get(n.chunk()).add(n);
        return out;
    }

    TypeSpec spec() {
        if (program.training()) return new TrainingStage().spec();
        Map<Integer, List<SpmdNode>> chunks = chunks();
        for (List<SpmdNode> ops : chunks.values()) {
            for (SpmdNode n : ops) {
                if (n.op() instanceof Op.Collective c) groupFields.computeIfAbsent(OpCalls.axesKey(c.axes()), k -> members.claim(groupField(c.axes())));
            }
        }
        String groupAxes = members.claim("GROUP_AXES");
        String run = members.claim("run");
        Map<Integer, String> chunkMethods = new LinkedHashMap<>();
        for (int c : chunks.keySet()) chunkMethods.put(c, members.claim("chunk" + c));
        TypeSpec.Builder b = classWithFields(groupAxes, groupFields);
        b.addMethod(constructor());
        b.addMethod(runMethod(run, chunkMethods));
        int firstLayerOp = firstLayerOp();
        for (Map.Entry<Integer, List<SpmdNode>> chunk : chunks.entrySet()) {
            List<Segments.Segment> segments = Segments.of(chunk.getValue(), program.nodes(), firstLayerOp);
            List<String> names = new ArrayList<>();
            for (Segments.Segment s : segments) names.add(members.claim(s.name()));
            b.addMethod(chunkMethod(chunkMethods.get(chunk.getKey()), chunk.getKey(), chunk.getValue(), segments, names));
            for (int i = 0; i < segments.size(); i++) b.addMethod(segmentMethod(names.get(i), segments.get(i)));
        }
        return b.build();
    }

    /** {@code groupEpTp} for the group over ep and tp. */
    private static String groupField(List<String> axes) {
        StringBuilder b = new StringBuilder("group");
        for (String a : axes) b.append(JavaNames.typeName(a));
        return b.toString();
    }

    private CodeBlock classDoc() {
        String axes = program.mesh().has(MeshAxes.PP) ? "pipeline stage " + stage : "the only pipeline stage";
        String text = "The program of " + axes + " of " + planDoc + ": every GPU of this stage runs it on its own shards. A GPU constructs it"
                + " with its mesh coordinates, which fix its shards and its collective groups; {@link #run()} executes the stage's schedule ("
                + program.pipeline().schedule().keyword() + ", " + program.pipeline().microBatches() + " micro-batch"
                + (program.pipeline().microBatches() == 1 ? "" : "es") + ").";
        return CodeBlock.builder().add("$L\n", JavaText.wrap(text, RuntimeApi.DOC_WIDTH)).add("\n@param <T> the runtime's tensor type\n").build();
    }

    private int firstLayerOp() {
        for (SpmdNode n : program.nodes()) if (n.layer() >= 0) return n.id();
        return Integer.MAX_VALUE;
    }

    private MethodSpec constructor() {
        MethodSpec.Builder m = MethodSpec.constructorBuilder().addModifiers(Modifier.PUBLIC)
                .addJavadoc("The program of the GPU at the given coordinates of the mesh (pipeline stage $L).\n", stage)
                .addParameter(runtimeType, runtimeField)
                .addStatement("this.$N = $N", runtimeField, runtimeField);
        for (String f : coords.fields().values()) {
            m.addParameter(TypeName.INT, f);
            m.addStatement("this.$N = $N", f, f);
        }
        String all = String.join(", ", coords.all(stage));
        for (Map.Entry<String, String> g : groupFields.entrySet()) {
            m.addStatement("this.$N = $T.group(new int[] {$L}, $L)", g.getValue(), types.mesh(), all, JavaText.literal(g.getKey()));
        }
        return m.build();
    }

    private MethodSpec runMethod(String name, Map<Integer, String> chunkMethods) {
        MethodSpec.Builder m = MethodSpec.methodBuilder(name).addModifiers(Modifier.PUBLIC)
                .addJavadoc("Runs this stage's schedule: each micro-batch through each of the stage's chunks, in $L\norder.\n",
                        program.pipeline().schedule().keyword());
        for (Pipeline.Unit u : program.pipeline().order(stage)) m.addStatement("$N($L)", chunkMethods.get(u.chunk()), u.microBatch());
        return m.build();
    }

    private MethodSpec chunkMethod(String name, int chunk, List<SpmdNode> ops, List<Segments.Segment> segments, List<String> names) {
        JavaNames.Scope locals = members.child();
        String mb = locals.claim("mb");
        MethodSpec.Builder m = MethodSpec.methodBuilder(name).addModifiers(Modifier.PRIVATE)
                .addJavadoc("Pipeline chunk $L ($L ops$L) on micro-batch {@code $L}.\n", chunk, ops.size(), layers(ops), mb)
                .addParameter(TypeName.INT, mb)
                .addStatement("$N.$N($N, $L)", runtimeField, RuntimeApi.BEGIN_UNIT.method(), mb, chunk);
        Map<Integer, String> values = new HashMap<>();
        for (int i = 0; i < segments.size(); i++) {
            Segments.Segment s = segments.get(i);
            CodeBlock args = s.input() == null ? CodeBlock.of("") : CodeBlock.of("$N", values.get(s.input().id()));
            if (s.output() == null) {
                m.addStatement("$N($L)", names.get(i), args);
            } else {
                String v = locals.claim(s.output().name());
                values.put(s.output().id(), v);
                m.addStatement("$T $N = $N($L)", RuntimeApi.Types.T, v, names.get(i), args);
            }
        }
        return m.build();
    }

    private static String layers(List<SpmdNode> ops) {
        int lo = Integer.MAX_VALUE;
        int hi = -1;
        for (SpmdNode n : ops) {
            if (n.layer() < 0 || n.op() instanceof Op.Transfer) continue;
            lo = Math.min(lo, n.layer());
            hi = Math.max(hi, n.layer());
        }
        if (hi < 0) return "";
        return lo == hi ? ", layer " + lo : ", layers " + lo + " to " + hi;
    }

    private MethodSpec segmentMethod(String name, Segments.Segment s) {
        return segmentMethod(name, s, null);
    }

    /**
     * A segment's method. {@code kept}, for a training step's unit (null otherwise), loads the
     * values its ops read from other units of the schedule and keeps those that other units read.
     */
    private MethodSpec segmentMethod(String name, Segments.Segment s, TrainingStage.Segment kept) {
        JavaNames.Scope locals = members.child();
        String prefix = commonPrefix(s.ops());
        Map<Integer, String> values = new HashMap<>();
        MethodSpec.Builder m = MethodSpec.methodBuilder(name).addModifiers(Modifier.PRIVATE)
                .addJavadoc("$L\n", JavaText.wrap(JavaText.javadoc(describe(s)) + ": ops {@code %" + s.ops().get(0).id() + "} to {@code %"
                        + s.ops().get(s.ops().size() - 1).id() + "} of the plan.", RuntimeApi.DOC_WIDTH));
        String mb = null;
        if (kept != null && kept.perMicroBatch()) {
            mb = locals.claim("mb");
            m.addParameter(TypeName.INT, mb);
        }
        if (s.input() != null) {
            String in = locals.claim(strip(s.input().name(), prefix));
            values.put(s.input().id(), in);
            m.addParameter(RuntimeApi.Types.T, in);
        }
        OpCalls calls = new OpCalls(program, logical, coords, groupFields, types.mesh(), attentionContext);
        for (SpmdNode n : s.ops()) {
            if (kept != null && !(n.op() instanceof Op.Transfer t && !t.send())) {
                for (int id : n.inputs()) {
                    if (values.containsKey(id) || !kept.loads(id) || n.op() instanceof Op.Accumulate) continue;
                    String v = locals.claim(strip(program.nodes().get(id).name(), prefix));
                    values.put(id, v);
                    String from = kept.takes(id) ? kept.take() : kept.peek();
                    m.addStatement("$T $N = $N($L, $L)", RuntimeApi.Types.T, v, from, JavaText.literal(program.nodes().get(id).name()), mb == null ? "0" : mb);
                }
            }
            OpCalls.Call call = calls.call(n, id -> {
                if (kept != null && n.op() instanceof Op.Accumulate) return kept.takeAll() + "(" + JavaText.literal(program.nodes().get(id).name()) + ")";
                String v = values.get(id);
                if (v == null) throw new IllegalStateException("op " + n.name() + " uses a value its method does not hold");
                return v;
            });
            m.addComment("$L", JavaText.comment(irLine(n)));
            if (call.weight() != null) m.addStatement("$N.$N($L, $N)", runtimeField, RuntimeApi.USE_WEIGHT.method(), JavaText.literal(n.name()), call.weight());
            CodeBlock args = CodeBlock.join(call.args(), ",$W");
            if (call.method().returnsTensor()) {
                String v = locals.claim(strip(n.name(), prefix));
                values.put(n.id(), v);
                m.addStatement("$T $N = $N.$N($L)", RuntimeApi.Types.T, v, runtimeField, call.method().method(), args);
                if (kept != null && kept.keeps(n.id())) {
                    m.addStatement("$N($L, $L, $N)", kept.keep(), JavaText.literal(n.name()), mb == null ? "0" : mb, v);
                }
            } else {
                m.addStatement("$N.$N($L)", runtimeField, call.method().method(), args);
            }
        }
        if (s.output() != null) {
            m.returns(RuntimeApi.Types.T);
            m.addStatement("return $N", values.get(s.output().id()));
        }
        return m.build();
    }

    private static String describe(Segments.Segment s) {
        String first = s.ops().get(0).name();
        String last = s.ops().get(s.ops().size() - 1).name();
        return s.ops().size() + " ops, " + first + (s.ops().size() > 1 ? " to " + last : "");
    }

    /** The op as the IR listing shows it: {@code %4 linear[in=16, out=8]: [4,4,8] {ep,_,tp} local [2,4,4]}. */
    private static String irLine(SpmdNode n) {
        String attributes = n.op().attributes();
        return "%" + n.id() + " " + n.op().name() + (attributes.isEmpty() ? "" : "[" + attributes + "]") + ": " + n.shape() + " " + n.sharding()
                + " local " + n.local();
    }

    /** The longest prefix ending in a dot that the names of all the segment's computing ops share. */
    static String commonPrefix(List<SpmdNode> ops) {
        String prefix = null;
        for (SpmdNode n : ops) {
            if (n.op() instanceof Op.Transfer) continue;
            String name = n.name();
            if (prefix == null) {
                int dot = name.lastIndexOf('.');
                prefix = dot < 0 ? "" : name.substring(0, dot + 1);
                continue;
            }
            while (!name.startsWith(prefix)) {
                int dot = prefix.lastIndexOf('.', prefix.length() - 2);
                prefix = dot < 0 ? "" : prefix.substring(0, dot + 1);
            }
        }
        return prefix == null ? "" : prefix;
    }

    private static String strip(String name, String prefix) {
        return name.startsWith(prefix) && name.length() > prefix.length() ? name.substring(prefix.length()) : name;
    }

    /**
     * The program of a training step's stage. Its schedule is the stage's units in
     * {@link Pipeline#trainingOrder} (a micro-batch's forward or backward pass through one chunk:
     * 1F1B's warm-up forwards, its steady state of one forward and one backward, its cool-down
     * backwards; GPipe's forwards, then its backwards; interleaving's chunks), then the ops that run
     * once per step (each weight gradient's accumulation over the micro-batches, its reduction, the
     * optimizer step and the updated weight's gather). A value that a later unit reads (a forward
     * value the backward pass reads, a micro-batch's weight gradient) is kept by the class, per
     * micro-batch, and taken by the last unit that reads it, so that what the stage holds between
     * units is what the schedule holds in flight; the step ends with nothing kept.
     */
    /**
     * The program's class with the fields every program has: the collective groups it joins (named
     * by {@code groupAxes}), the runtime, this GPU's mesh coordinates and each group's members.
     */
    private TypeSpec.Builder classWithFields(String groupAxes, Map<String, String> groupFields) {
        TypeSpec.Builder b = TypeSpec.classBuilder(types.stages().get(stage))
                .addModifiers(Modifier.PUBLIC, Modifier.FINAL)
                .addTypeVariable(RuntimeApi.Types.T)
                .addJavadoc(classDoc());
        b.addField(FieldSpec.builder(ParameterizedTypeName.get(List.class, String.class), groupAxes, Modifier.PUBLIC, Modifier.STATIC, Modifier.FINAL)
                .addJavadoc("The collective groups this program joins, by the mesh axes they span.\n")
                .initializer("$T.of($L)", List.class, String.join(", ", groupFields.keySet().stream().map(JavaText::literal).toList()))
                .build());
        b.addField(runtimeType, runtimeField, Modifier.PRIVATE, Modifier.FINAL);
        for (String f : coords.fields().values()) b.addField(TypeName.INT, f, Modifier.PRIVATE, Modifier.FINAL);
        for (Map.Entry<String, String> g : groupFields.entrySet()) {
            b.addField(FieldSpec.builder(int[].class, g.getValue(), Modifier.PRIVATE, Modifier.FINAL)
                    .addJavadoc("The GPUs that differ from this one only in $L, ascending.\n", JavaText.javadoc(g.getKey()))
                    .build());
        }
        return b;
    }

    private final class TrainingStage {
        /** The unit key of the once-per-step ops; a micro-batch's unit is {@code 2 * chunk + (backward ? 1 : 0)}. */
        private static final int STEP = -1;

        /** One unit's segment as the method writer needs it: what it loads and keeps. */
        record Segment(TrainingStage stage, int unit, int index) {
            boolean perMicroBatch() {
                return unit != STEP;
            }

            /** Whether value {@code id} is made by another unit of the stage (loaded here). */
            boolean loads(int id) {
                return stage.unitOf(id) != unit;
            }

            /** Whether this segment is the last to read kept value {@code id}: it takes it. */
            boolean takes(int id) {
                long t = stage.taker.getOrDefault(id, Long.MIN_VALUE);
                return t == (((long) unit) << 32 | (index & 0xffffffffL));
            }

            /** Whether value {@code id} is kept for another unit. */
            boolean keeps(int id) {
                return stage.readers.containsKey(id);
            }

            String keep() {
                return stage.keep;
            }

            String take() {
                return stage.take;
            }

            String peek() {
                stage.peeks = true;
                return stage.peek;
            }

            String takeAll() {
                return stage.takeAll;
            }
        }

        private final boolean[] perStep = program.perStep();
        private final boolean[] backward = program.backward();
        /** The stage's units by key (forward and backward of each chunk, then the step), each its ops in program order. */
        private final Map<Integer, List<SpmdNode>> units = new LinkedHashMap<>();
        /** Per value that other units read: their keys. */
        private final Map<Integer, java.util.Set<Integer>> readers = new HashMap<>();
        /** Per kept value with one last reader: that reader's unit and segment, packed. */
        private final Map<Integer, Long> taker = new HashMap<>();
        private final String kept;
        private final String keep;
        private final String take;
        private final String peek;
        private final String takeAll;
        private boolean peeks;

        TrainingStage() {
            Pipeline p = program.pipeline();
            for (int c = stage; c < p.chunks(); c += p.stages()) {
                units.put(2 * c, new ArrayList<>());
                units.put(2 * c + 1, new ArrayList<>());
            }
            units.put(STEP, new ArrayList<>());
            for (SpmdNode n : program.nodes()) {
                if (p.stageOf(n.chunk()) == stage) units.get(unitOf(n.id())).add(n);
            }
            kept = members.claim("kept");
            keep = members.claim("keep");
            take = members.claim("take");
            peek = members.claim("peek");
            takeAll = members.claim("takeAll");
        }

        int unitOf(int id) {
            SpmdNode n = program.nodes().get(id);
            return perStep[id] ? STEP : 2 * n.chunk() + (backward[id] ? 1 : 0);
        }

        /** The inputs an op reads on this GPU (a recv's input is its peer's send). */
        private List<Integer> reads(SpmdNode n) {
            return n.op() instanceof Op.Transfer t && !t.send() ? List.of() : n.inputs();
        }

        TypeSpec spec() {
            int firstLayerOp = firstLayerOp();
            Map<Integer, List<Segments.Segment>> segments = new LinkedHashMap<>();
            for (Map.Entry<Integer, List<SpmdNode>> u : units.entrySet()) {
                boolean reversed = u.getKey() == STEP || u.getKey() % 2 == 1;
                segments.put(u.getKey(), Segments.of(u.getValue(), program.nodes(), firstLayerOp, true, reversed));
            }
            // Which values other units read, and the last segment to read each (the schedule runs a
            // value's own unit first, its readers after, and the step after every micro-batch).
            Map<Integer, List<long[]>> readsBy = new HashMap<>();
            for (Map.Entry<Integer, List<Segments.Segment>> u : segments.entrySet()) {
                for (int i = 0; i < u.getValue().size(); i++) {
                    for (SpmdNode n : u.getValue().get(i).ops()) {
                        for (int id : reads(n)) {
                            if (unitOf(id) == u.getKey()) continue;
                            if (program.pipeline().stageOf(program.nodes().get(id).chunk()) != stage) {
                                throw new IllegalStateException("op " + n.name() + " reads " + program.nodes().get(id).name() + " of another stage");
                            }
                            readers.computeIfAbsent(id, k -> new java.util.TreeSet<>()).add(u.getKey());
                            readsBy.computeIfAbsent(id, k -> new ArrayList<>()).add(new long[] {u.getKey(), i});
                        }
                    }
                }
            }
            for (Map.Entry<Integer, java.util.Set<Integer>> r : readers.entrySet()) {
                int id = r.getKey();
                java.util.Set<Integer> by = r.getValue();
                // Once-per-step readers come last and take every micro-batch's (an accumulation); one
                // unit reading it takes it in its last segment; other units reading it peek.
                if (by.contains(STEP) || by.size() > 1) continue;
                long last = -1;
                for (long[] at : readsBy.get(id)) last = Math.max(last, at[1]);
                taker.put(id, ((long) by.iterator().next()) << 32 | last);
            }
            for (Map.Entry<Integer, java.util.Set<Integer>> r : readers.entrySet()) {
                if (r.getValue().contains(STEP) && r.getValue().size() > 1) peeks = true;
            }

            for (List<SpmdNode> ops : units.values()) {
                for (SpmdNode n : ops) {
                    if (n.op() instanceof Op.Collective c) groupFields.computeIfAbsent(OpCalls.axesKey(c.axes()), k -> members.claim(groupField(c.axes())));
                }
            }
            String groupAxes = members.claim("GROUP_AXES");
            String run = members.claim("run");
            Map<Integer, String> unitMethods = new LinkedHashMap<>();
            for (Map.Entry<Integer, List<SpmdNode>> u : units.entrySet()) {
                if (u.getValue().isEmpty()) continue;
                int key = u.getKey();
                unitMethods.put(key, members.claim(key == STEP ? "optimizerStep" : "chunk" + (key / 2) + (key % 2 == 1 ? "Backward" : "")));
            }
            TypeSpec.Builder b = classWithFields(groupAxes, groupFields);
            TypeName keptType = ParameterizedTypeName.get(ClassName.get(Map.class), ClassName.get(String.class), RuntimeApi.Types.T);
            b.addField(FieldSpec.builder(keptType, kept, Modifier.PRIVATE, Modifier.FINAL)
                    .addJavadoc("Values that later units of the schedule read, by name and micro-batch ({@code name@mb}).\n")
                    .initializer("new $T<>()", HashMap.class)
                    .build());
            b.addMethod(constructor());
            // The unit methods, written before run() so that every helper they use is known.
            List<MethodSpec> methods = new ArrayList<>();
            for (Map.Entry<Integer, String> u : unitMethods.entrySet()) {
                int key = u.getKey();
                List<Segments.Segment> segs = segments.get(key);
                List<String> names = new ArrayList<>();
                String suffix = key == STEP ? "Update" : key % 2 == 1 ? "Backward" : "";
                for (Segments.Segment sg : segs) names.add(members.claim(sg.name() + suffix));
                methods.add(unitMethod(u.getValue(), key, units.get(key), segs, names));
                for (int i = 0; i < segs.size(); i++) methods.add(segmentMethod(names.get(i), segs.get(i), new Segment(this, key, i)));
            }
            b.addMethod(runMethod(run, unitMethods));
            b.addMethods(methods);
            b.addMethods(helpers());
            return b.build();
        }

        private MethodSpec runMethod(String name, Map<Integer, String> unitMethods) {
            Pipeline p = program.pipeline();
            List<Pipeline.Unit> order = p.trainingOrder(stage);
            int warmup = p.warmup(stage);
            int coolFrom = order.size() - warmup;
            boolean gpipe = p.schedule() == Pipeline.Schedule.GPIPE;
            MethodSpec.Builder m = MethodSpec.methodBuilder(name).addModifiers(Modifier.PUBLIC)
                    .addJavadoc("$L\n", JavaText.wrap("Runs this stage's training step: its units (a micro-batch's forward or backward pass through a"
                            + " chunk) in " + p.schedule().keyword() + " order, " + p.microBatches() + " micro-batch" + (p.microBatches() == 1 ? "" : "es")
                            + ", then the once-per-step gradient reduction and optimizer step.", RuntimeApi.DOC_WIDTH));
            for (int i = 0; i < order.size(); i++) {
                if (gpipe && i == 0) m.addComment("every micro-batch's forward pass ($L units)", warmup);
                else if (gpipe && i == warmup) m.addComment("every micro-batch's backward pass ($L units)", order.size() - warmup);
                else if (!gpipe && i == 0 && warmup > 0) m.addComment("warm-up: $L forward unit$L", warmup, warmup == 1 ? "" : "s");
                else if (!gpipe && i == warmup && coolFrom > warmup) {
                    m.addComment("steady state: one forward and one backward unit in turn ($L units)", coolFrom - warmup);
                } else if (!gpipe && i == coolFrom && warmup > 0) m.addComment("cool-down: $L backward unit$L", warmup, warmup == 1 ? "" : "s");
                Pipeline.Unit u = order.get(i);
                String method = unitMethods.get(2 * u.chunk() + (u.backward() ? 1 : 0));
                if (method != null) m.addStatement("$N($L)", method, u.microBatch());
            }
            if (unitMethods.containsKey(STEP)) {
                m.addComment("once per step: gradient accumulation, reduction over the data-parallel ranks, optimizer step");
                m.addStatement("$N()", unitMethods.get(STEP));
            }
            if (peeks) {
                m.addStatement("$N.clear()", kept);
            } else {
                m.beginControlFlow("if (!$N.isEmpty())", kept)
                        .addStatement("throw new $T($S + $N.keySet())", IllegalStateException.class, "values kept past the step: ", kept)
                        .endControlFlow();
            }
            return m.build();
        }

        private MethodSpec unitMethod(String name, int key, List<SpmdNode> ops, List<Segments.Segment> segments, List<String> names) {
            JavaNames.Scope locals = members.child();
            MethodSpec.Builder m = MethodSpec.methodBuilder(name).addModifiers(Modifier.PRIVATE);
            String mb = null;
            if (key == STEP) {
                m.addJavadoc("$L\n", JavaText.wrap("The ops that run once per step, after every micro-batch (" + ops.size()
                        + " ops): each weight gradient accumulated, reduced, stepped and gathered.", RuntimeApi.DOC_WIDTH));
                m.addStatement("$N.$N()", runtimeField, RuntimeApi.BEGIN_STEP.method());
            } else {
                mb = locals.claim("mb");
                int chunk = key / 2;
                boolean back = key % 2 == 1;
                m.addJavadoc("Pipeline chunk $L's $L pass ($L ops$L) on micro-batch {@code $L}.\n", chunk, back ? "backward" : "forward", ops.size(),
                        layers(ops), mb);
                m.addParameter(TypeName.INT, mb);
                m.addStatement("$N.$N($N, $L)", runtimeField, (back ? RuntimeApi.BEGIN_BACKWARD_UNIT : RuntimeApi.BEGIN_UNIT).method(), mb, chunk);
            }
            Map<Integer, String> values = new HashMap<>();
            for (int i = 0; i < segments.size(); i++) {
                Segments.Segment s = segments.get(i);
                List<String> args = new ArrayList<>();
                if (mb != null) args.add(mb);
                if (s.input() != null) args.add(values.get(s.input().id()));
                if (s.output() == null) {
                    m.addStatement("$N($L)", names.get(i), String.join(", ", args));
                } else {
                    String v = locals.claim(s.output().name());
                    values.put(s.output().id(), v);
                    m.addStatement("$T $N = $N($L)", RuntimeApi.Types.T, v, names.get(i), String.join(", ", args));
                }
            }
            return m.build();
        }

        /** The methods that keep values for later units and take them back. */
        private List<MethodSpec> helpers() {
            TypeName t = RuntimeApi.Types.T;
            List<MethodSpec> out = new ArrayList<>();
            out.add(MethodSpec.methodBuilder(keep).addModifiers(Modifier.PRIVATE)
                    .addJavadoc("Keeps {@code x}, value {@code value} of micro-batch {@code mb}, for a later unit.\n")
                    .addParameter(String.class, "value").addParameter(TypeName.INT, "mb").addParameter(t, "x")
                    .beginControlFlow("if ($N.put(value + \"@\" + mb, x) != null)", kept)
                    .addStatement("throw new $T(value + \" of micro-batch \" + mb + \" is kept twice\")", IllegalStateException.class)
                    .endControlFlow()
                    .build());
            out.add(MethodSpec.methodBuilder(take).addModifiers(Modifier.PRIVATE).returns(t)
                    .addJavadoc("Takes back a kept value: its last reader.\n")
                    .addParameter(String.class, "value").addParameter(TypeName.INT, "mb")
                    .addStatement("$T x = $N.remove(value + \"@\" + mb)", t, kept)
                    .beginControlFlow("if (x == null)")
                    .addStatement("throw new $T(\"no kept \" + value + \" of micro-batch \" + mb)", IllegalStateException.class)
                    .endControlFlow()
                    .addStatement("return x")
                    .build());
            if (peeks) {
                out.add(MethodSpec.methodBuilder(peek).addModifiers(Modifier.PRIVATE).returns(t)
                        .addJavadoc("Reads a kept value that another unit reads later too.\n")
                        .addParameter(String.class, "value").addParameter(TypeName.INT, "mb")
                        .addStatement("$T x = $N.get(value + \"@\" + mb)", t, kept)
                        .beginControlFlow("if (x == null)")
                        .addStatement("throw new $T(\"no kept \" + value + \" of micro-batch \" + mb)", IllegalStateException.class)
                        .endControlFlow()
                        .addStatement("return x")
                        .build());
            }
            out.add(MethodSpec.methodBuilder(takeAll).addModifiers(Modifier.PRIVATE)
                    .returns(ParameterizedTypeName.get(ClassName.get(List.class), t))
                    .addJavadoc("Takes back a kept value of every micro-batch, micro-batch 0 first.\n")
                    .addParameter(String.class, "value")
                    .addStatement("$T<$T> out = new $T<>()", List.class, t, ArrayList.class)
                    .addStatement("for (int mb = 0; mb < $L; mb++) out.add($N(value, mb))", program.pipeline().microBatches(), take)
                    .addStatement("return out")
                    .build());
            return out;
        }
    }
}
