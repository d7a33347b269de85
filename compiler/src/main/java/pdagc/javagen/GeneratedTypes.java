package pdagc.javagen;

import com.palantir.javapoet.ClassName;
import java.util.ArrayList;
import java.util.List;

/**
 * The names of the classes generated for one plan, all prefixed with the deploy's name so that
 * plans generated into one directory do not overwrite each other: {@code SeedRuntime},
 * {@code SeedMesh}, {@code SeedPlan} and one {@code SeedStageN} per pipeline stage. The suffixes
 * keep every name clear of Java's keywords and of the {@code java.lang} types the code uses.
 */
record GeneratedTypes(String packageName, ClassName runtime, ClassName mesh, ClassName plan, List<ClassName> stages) {
    /** The package every generated class is in. */
    static final String PACKAGE = "pdagc.generated";

    static GeneratedTypes of(String deployment, int stages) {
        String prefix = JavaNames.typeName(deployment);
        List<ClassName> programs = new ArrayList<>();
        for (int s = 0; s < stages; s++) programs.add(ClassName.get(PACKAGE, prefix + "Stage" + s));
        return new GeneratedTypes(PACKAGE, ClassName.get(PACKAGE, prefix + "Runtime"), ClassName.get(PACKAGE, prefix + "Mesh"),
                ClassName.get(PACKAGE, prefix + "Plan"), List.copyOf(programs));
    }

    /** Simple names a local variable or field must not take, since it would hide a type the code names. */
    List<String> reserved() {
        List<String> out = new ArrayList<>(List.of("T", "java", "String", "List", "Map", "LinkedHashMap", "Runnable", "Object",
                "IllegalArgumentException", "Integer", "Math", "System", "HashMap", "ArrayList", "IllegalStateException"));
        out.add(runtime.simpleName());
        out.add(mesh.simpleName());
        out.add(plan.simpleName());
        for (ClassName s : stages) out.add(s.simpleName());
        return out;
    }
}
