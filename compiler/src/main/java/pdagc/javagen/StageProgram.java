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
        JavaNames.Scope locals = members.child();
        String prefix = commonPrefix(s.ops());
        Map<Integer, String> values = new HashMap<>();
        MethodSpec.Builder m = MethodSpec.methodBuilder(name).addModifiers(Modifier.PRIVATE)
                .addJavadoc("$L\n", JavaText.wrap(JavaText.javadoc(describe(s)) + ": ops {@code %" + s.ops().get(0).id() + "} to {@code %"
                        + s.ops().get(s.ops().size() - 1).id() + "} of the plan.", RuntimeApi.DOC_WIDTH));
        if (s.input() != null) {
            String in = locals.claim(strip(s.input().name(), prefix));
            values.put(s.input().id(), in);
            m.addParameter(RuntimeApi.Types.T, in);
        }
        OpCalls calls = new OpCalls(program, logical, coords, groupFields, types.mesh(), attentionContext);
        for (SpmdNode n : s.ops()) {
            OpCalls.Call call = calls.call(n, id -> {
                String v = values.get(id);
                if (v == null) throw new IllegalStateException("op " + n.name() + " uses a value its method does not hold");
                return v;
            });
            m.addComment("$L", JavaText.comment(irLine(n)));
            CodeBlock args = CodeBlock.join(call.args(), ",$W");
            if (call.method().returnsTensor()) {
                String v = locals.claim(strip(n.name(), prefix));
                values.put(n.id(), v);
                m.addStatement("$T $N = $N.$N($L)", RuntimeApi.Types.T, v, runtimeField, call.method().method(), args);
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
}
