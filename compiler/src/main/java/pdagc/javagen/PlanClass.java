package pdagc.javagen;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.ParameterizedTypeName;
import com.palantir.javapoet.TypeName;
import com.palantir.javapoet.TypeSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.lang.model.element.Modifier;
import pdagc.mesh.Mesh;
import pdagc.mesh.MeshAxes;
import pdagc.mesh.Pipeline;

/**
 * The generated entry point of a plan: which program each GPU runs (its pipeline stage's class,
 * constructed with its coordinates) and which collective groups it joins. A launcher asks it for
 * every GPU's {@code Runnable} and runs them, one per device (a thread, a process).
 */
final class PlanClass {
    private PlanClass() {}

    static TypeSpec spec(GeneratedTypes types, Mesh mesh, Pipeline pipeline, String deployment, String source, String planDoc) {
        TypeName stringType = ClassName.get(String.class);
        return TypeSpec.classBuilder(types.plan())
                .addModifiers(Modifier.PUBLIC, Modifier.FINAL)
                .addJavadoc("$L\n", JavaText.wrap("The entry point of " + planDoc + ": every GPU's program and collective groups.", RuntimeApi.DOC_WIDTH))
                .addField(constant(stringType, "DEPLOYMENT", "The deploy's name in the source file.", CodeBlock.of("$L", JavaText.literal(deployment))))
                .addField(constant(stringType, "SOURCE", "The source file the plan was compiled from.", CodeBlock.of("$L", JavaText.literal(source))))
                .addField(constant(TypeName.INT, "GPUS", "The number of GPUs.", CodeBlock.of("$T.GPUS", types.mesh())))
                .addField(constant(TypeName.INT, "STAGES", "The number of distinct programs: one per pipeline stage.", CodeBlock.of("$L", pipeline.stages())))
                .addField(constant(TypeName.INT, "MICRO_BATCHES", "Micro-batches each program runs.", CodeBlock.of("$L", pipeline.microBatches())))
                .addMethod(MethodSpec.constructorBuilder().addModifiers(Modifier.PRIVATE).build())
                .addMethod(programOf(types.mesh(), mesh))
                .addMethod(program(types, mesh))
                .addMethod(groupsOf(types))
                .build();
    }

    private static FieldSpec constant(TypeName type, String name, String doc, CodeBlock value) {
        return FieldSpec.builder(type, name, Modifier.PUBLIC, Modifier.STATIC, Modifier.FINAL).addJavadoc("$L\n", doc).initializer(value).build();
    }

    private static MethodSpec programOf(ClassName meshClass, Mesh mesh) {
        int pp = mesh.index(MeshAxes.PP);
        MethodSpec.Builder m = MethodSpec.methodBuilder("programOf").addModifiers(Modifier.PUBLIC, Modifier.STATIC).returns(TypeName.INT)
                .addJavadoc("The program GPU {@code gpu} runs: the index of its pipeline stage.\n")
                .addParameter(TypeName.INT, "gpu");
        if (pp >= 0) return m.addStatement("return $T.coords(gpu)[$L]", meshClass, pp).build();
        return m.addStatement("$T.coords(gpu)", meshClass).addStatement("return 0").build();
    }

    /** The GPU's program bound to a runtime: the stage's class constructed with the GPU's coordinates. */
    private static MethodSpec program(GeneratedTypes types, Mesh mesh) {
        List<String> coords = new ArrayList<>();
        for (int i = 0; i < mesh.axes().size(); i++) if (!mesh.axes().get(i).name().equals(MeshAxes.PP)) coords.add("c[" + i + "]");
        CodeBlock.Builder cases = CodeBlock.builder();
        for (int s = 0; s < types.stages().size(); s++) {
            cases.add("case $L -> new $T<>(runtime$L)::run;\n", s, types.stages().get(s), coords.isEmpty() ? "" : ", " + String.join(", ", coords));
        }
        return MethodSpec.methodBuilder("program").addModifiers(Modifier.PUBLIC, Modifier.STATIC)
                .addTypeVariable(RuntimeApi.Types.T)
                .returns(Runnable.class)
                .addJavadoc("GPU {@code gpu}'s program bound to {@code runtime}; running it executes the GPU's whole\nschedule.\n")
                .addParameter(TypeName.INT, "gpu")
                .addParameter(ParameterizedTypeName.get(types.runtime(), RuntimeApi.Types.T), "runtime")
                .addStatement("int[] c = $T.coords(gpu)", types.mesh())
                .addCode("return switch (programOf(gpu)) {\n$>")
                .addCode(cases.build())
                .addCode("default -> throw new $T(\"no program for GPU \" + gpu);\n", IllegalStateException.class)
                .addCode("$<};\n")
                .build();
    }

    /** The collective groups of a GPU's program, computed from its coordinates. */
    private static MethodSpec groupsOf(GeneratedTypes types) {
        CodeBlock.Builder cases = CodeBlock.builder();
        for (int s = 0; s < types.stages().size(); s++) cases.add("case $L -> $T.GROUP_AXES;\n", s, types.stages().get(s));
        TypeName result = ParameterizedTypeName.get(ClassName.get(Map.class), ClassName.get(String.class), TypeName.get(int[].class));
        return MethodSpec.methodBuilder("groupsOf").addModifiers(Modifier.PUBLIC, Modifier.STATIC)
                .returns(result)
                .addJavadoc("The collective groups GPU {@code gpu} joins, keyed by the mesh axes they span\n({@code +}-separated).\n")
                .addParameter(TypeName.INT, "gpu")
                .addStatement("int[] c = $T.coords(gpu)", types.mesh())
                .addCode("$T<$T> axes = switch (programOf(gpu)) {\n$>", List.class, String.class)
                .addCode(cases.build())
                .addCode("default -> throw new $T(\"no program for GPU \" + gpu);\n", IllegalStateException.class)
                .addCode("$<};\n")
                .addStatement("$T groups = new $T<>()", result, LinkedHashMap.class)
                .beginControlFlow("for (String a : axes)")
                .addStatement("groups.put(a, $T.group(c, a))", types.mesh())
                .endControlFlow()
                .addStatement("return groups")
                .build();
    }
}
