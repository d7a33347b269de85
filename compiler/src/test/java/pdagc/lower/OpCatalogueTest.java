package pdagc.lower;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import pdagc.Repo;
import pdagc.analysis.OpCost;
import pdagc.ir.DType;
import pdagc.ir.NormType;
import pdagc.ir.Op;
import pdagc.ir.Shape;
import pdagc.mesh.Mesh;
import pdagc.mesh.Pipeline;
import pdagc.mesh.Sharding;
import pdagc.spmd.SpmdNode;
import pdagc.spmd.SpmdProgram;
import pdagc.spmd.WeightLayout;

/**
 * The operations' per-op rules agree with each other and with the editor: the built-in names are
 * the ones the grammar highlights, every op with a weight has a weight layout, and a per-head norm
 * is costed as its own norm type.
 */
class OpCatalogueTest {

    @Test
    void theEditorGrammarHighlightsExactlyTheBuiltInOperations() throws Exception {
        String grammar = Files.readString(Repo.file("editors/vscode/syntaxes/pdag.tmLanguage.json"));
        Matcher m = Pattern.compile("\\(\\?<!\\\\\\\\\\.\\)\\(([a-z_|]+)\\)").matcher(grammar);
        assertTrue(m.find(), "the grammar's list of built-in operations");
        Set<String> highlighted = new TreeSet<>(List.of(m.group(1).split("\\|")));
        assertEquals(new TreeSet<>(Builtins.names()), highlighted);
    }

    /** Every concrete op, built with small attributes, that has a weight gets a layout (none is silently replicated by default). */
    @Test
    void everyOpWithAWeightHasAWeightLayout() throws Exception {
        List<String> weighted = new ArrayList<>();
        for (Class<?> c : Op.class.getPermittedSubclasses()) {
            Op op = instance(c);
            if (op.weight() == null) continue;
            weighted.add(op.name());
            Mesh mesh = new Mesh(List.of(new Mesh.Axis("tp", 2)));
            Shape shape = new Shape(4, 4, 4);
            Sharding whole = Sharding.replicated(3);
            SpmdNode input = new SpmdNode(0, "x", new Op.Input(), List.of(), List.of(), shape, whole, shape, -1, null, 0, 0);
            SpmdNode node = new SpmdNode(1, "op", op, List.of(0), List.of(false), shape, whole, shape, 0, null, 1, 0);
            SpmdProgram p = new SpmdProgram(mesh, DType.BF16, new Pipeline(1, 1, 1, Pipeline.Schedule.GPIPE), List.of(input, node));
            Sharding s = assertDoesNotThrow(() -> WeightLayout.of(node, p), op.name());
            assertEquals(op.weight().rank(), s.rank(), op.name());
        }
        assertTrue(weighted.size() >= 10, weighted.toString());
    }

    @Test
    void aPerHeadNormIsCostedAsItsOwnNormType() {
        Shape x = new Shape(2, 3, 8);
        for (NormType t : NormType.values()) {
            long head = OpCost.of(new Op.HeadNorm(t, 4, 8), List.of(x), x, 4, 2).flops();
            long whole = OpCost.of(new Op.Norm(t, 8), List.of(x), x, 8, 2).flops();
            assertEquals(whole, head, t.text());
        }
    }

    /**
     * An elementwise function or a norm is one enum constant (its name and FLOPs per element)
     * plus its kernel, which the compiler asks for: from the constant alone it is a built-in
     * operation, a model's `act` or `norm` where it is one, costed, lowered and verified.
     */
    @Test
    void anElementwiseFunctionOrNormIsOneDefinition() {
        Shape x = new Shape(2, 3, 8);
        for (pdagc.ir.UnaryFn f : pdagc.ir.UnaryFn.values()) {
            assertTrue(Builtins.names().contains(f.text()), f.text());
            assertEquals(48 * f.flopsPerElement(), OpCost.of(new Op.Unary(f), List.of(x), x, 0, 2).flops(), f.text());
        }
        for (NormType t : NormType.values()) {
            assertTrue(Builtins.names().contains(t.text()), t.text());
            assertEquals(48 * t.flopsPerElement(), OpCost.of(new Op.Norm(t, 8), List.of(x), x, 8, 2).flops(), t.text());
        }
        for (String act : pdagc.ir.UnaryFn.activations()) {
            for (String norm : NormType.names()) {
                String src = pdagc.verify.StrategyMatrixTest.deploy("model M { vocab 64 hidden 16 heads 4 layers 2 ffn 32 norm " + norm + " act " + act
                        + " layer dense_layer }", 2, "mesh [tp 2]", pdagc.verify.StrategyMatrixTest.PREFILL);
                pdagc.verify.Verify.Report r = pdagc.driver.Compile.source(src).verify(1);
                assertTrue(r.ok(), act + " " + norm + ": " + r.summary());
            }
        }
    }

    private static Op instance(Class<?> c) throws Exception {
        RecordComponent[] parts = c.getRecordComponents();
        Class<?>[] types = new Class<?>[parts.length];
        Object[] args = new Object[parts.length];
        for (int i = 0; i < parts.length; i++) {
            Class<?> t = parts[i].getType();
            types[i] = t;
            if (t == long.class) args[i] = 4L;
            else if (t == int.class) args[i] = 0;
            else if (t == boolean.class) args[i] = true;
            else if (t == List.class) args[i] = List.of("tp");
            else if (t.isEnum()) args[i] = t.getEnumConstants()[0];
            else if (t == pdagc.ir.Elementwise.class) args[i] = pdagc.ir.UnaryFn.GELU;
            else if (t == Shape.class) args[i] = new Shape(4, 4);
            else if (t == double.class) args[i] = 0.5;
            else if (t == Op.class) args[i] = new Op.Linear(4, 4, 0);
            else if (t == pdagc.ir.ContractionDef.class) {
                args[i] = new pdagc.ir.ContractionDef("linear_t", "bsk,nk->bsn", List.of("out", "in"), Set.of(pdagc.ir.Parallel.Style.COLUMN));
            }
            else throw new AssertionError("no sample value for " + t + " in " + c.getSimpleName());
        }
        Constructor<?> k = c.getDeclaredConstructor(types);
        return (Op) k.newInstance(args);
    }
}
