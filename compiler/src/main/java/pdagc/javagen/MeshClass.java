package pdagc.javagen;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.ParameterizedTypeName;
import com.palantir.javapoet.TypeName;
import com.palantir.javapoet.TypeSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.lang.model.element.Modifier;
import pdagc.mesh.Mesh;

/**
 * The generated mesh class: the plan's axes and sizes, rank numbering (row-major, last axis
 * fastest, as {@link Mesh} numbers them) and collective groups (the ranks that differ from a rank
 * only in a collective's axes). Programs compute their groups and pipeline peers with it, so the
 * generated code carries the rule, not a table per GPU.
 */
final class MeshClass {
    private MeshClass() {}

    static TypeSpec spec(ClassName name, Mesh mesh, String planDoc) {
        List<String> axes = new ArrayList<>();
        List<String> sizes = new ArrayList<>();
        for (Mesh.Axis a : mesh.axes()) {
            axes.add(JavaText.literal(a.name()));
            sizes.add(Integer.toString(a.size()));
        }
        return TypeSpec.classBuilder(name)
                .addModifiers(Modifier.PUBLIC, Modifier.FINAL)
                .addJavadoc("$L\n", JavaText.wrap("The device mesh " + JavaText.javadoc(mesh.toString()) + " of " + planDoc
                        + ": rank numbering (row-major, last axis fastest) and collective groups.", RuntimeApi.DOC_WIDTH))
                .addField(FieldSpec.builder(ParameterizedTypeName.get(List.class, String.class), "AXES", Modifier.PUBLIC, Modifier.STATIC, Modifier.FINAL)
                        .addJavadoc("The mesh's axes, major to minor.\n")
                        .initializer("$T.of($L)", List.class, String.join(", ", axes))
                        .build())
                .addField(FieldSpec.builder(int[].class, "SIZES", Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                        .initializer("{$L}", String.join(", ", sizes))
                        .build())
                .addField(FieldSpec.builder(TypeName.INT, "GPUS", Modifier.PUBLIC, Modifier.STATIC, Modifier.FINAL)
                        .addJavadoc("The number of GPUs (ranks) of the mesh.\n")
                        .initializer("$L", mesh.size())
                        .build())
                .addMethod(MethodSpec.constructorBuilder().addModifiers(Modifier.PRIVATE).build())
                .addMethod(rank())
                .addMethod(coords())
                .addMethod(group())
                .build();
    }

    private static MethodSpec rank() {
        return MethodSpec.methodBuilder("rank").addModifiers(Modifier.PUBLIC, Modifier.STATIC).varargs().returns(TypeName.INT)
                .addJavadoc("The rank at the given coordinates, one per axis in {@link #AXES} order.\n")
                .addParameter(int[].class, "coords")
                .beginControlFlow("if (coords.length != SIZES.length)")
                .addStatement("throw new $T($T.toString(coords) + \" is not on the mesh\")", IllegalArgumentException.class, Arrays.class)
                .endControlFlow()
                .addStatement("int rank = 0")
                .beginControlFlow("for (int i = 0; i < SIZES.length; i++)")
                .beginControlFlow("if (coords[i] < 0 || coords[i] >= SIZES[i])")
                .addStatement("throw new $T($T.toString(coords) + \" is off the mesh\")", IllegalArgumentException.class, Arrays.class)
                .endControlFlow()
                .addStatement("rank = rank * SIZES[i] + coords[i]")
                .endControlFlow()
                .addStatement("return rank")
                .build();
    }

    private static MethodSpec coords() {
        return MethodSpec.methodBuilder("coords").addModifiers(Modifier.PUBLIC, Modifier.STATIC).returns(int[].class)
                .addJavadoc("The coordinates of {@code rank}, one per axis in {@link #AXES} order.\n")
                .addParameter(TypeName.INT, "rank")
                .beginControlFlow("if (rank < 0 || rank >= GPUS)")
                .addStatement("throw new $T(\"no GPU \" + rank + \" in a mesh of \" + GPUS)", IllegalArgumentException.class)
                .endControlFlow()
                .addStatement("int[] coords = new int[SIZES.length]")
                .addStatement("int rest = rank")
                .beginControlFlow("for (int i = SIZES.length - 1; i >= 0; i--)")
                .addStatement("coords[i] = rest % SIZES[i]")
                .addStatement("rest /= SIZES[i]")
                .endControlFlow()
                .addStatement("return coords")
                .build();
    }

    private static MethodSpec group() {
        return MethodSpec.methodBuilder("group").addModifiers(Modifier.PUBLIC, Modifier.STATIC).returns(int[].class)
                .addJavadoc("The ranks that differ from the rank at {@code coords} only in {@code axes}\n({@code +}-separated), ascending.\n")
                .addParameter(int[].class, "coords")
                .addParameter(String.class, "axes")
                .addStatement("String over = \"+\" + axes + \"+\"")
                .beginControlFlow("for (String axis : axes.split(\"[+]\"))")
                .beginControlFlow("if (!AXES.contains(axis))")
                .addStatement("throw new $T(\"no mesh axis \" + axis)", IllegalArgumentException.class)
                .endControlFlow()
                .endControlFlow()
                .addStatement("int[] members = new int[GPUS]")
                .addStatement("int n = 0")
                .beginControlFlow("for (int r = 0; r < GPUS; r++)")
                .addStatement("int[] c = coords(r)")
                .addStatement("boolean same = true")
                .beginControlFlow("for (int i = 0; i < c.length; i++)")
                .addStatement("same &= c[i] == coords[i] || over.contains(\"+\" + AXES.get(i) + \"+\")")
                .endControlFlow()
                .beginControlFlow("if (same)")
                .addStatement("members[n++] = r")
                .endControlFlow()
                .endControlFlow()
                .addStatement("return $T.copyOf(members, n)", Arrays.class)
                .build();
    }
}
