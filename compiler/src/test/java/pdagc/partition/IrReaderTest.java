package pdagc.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import pdagc.Repo;
import pdagc.diag.DiagnosticRenderer;
import pdagc.diag.Diagnostics;
import pdagc.driver.Compiler;
import pdagc.driver.MaterializedPlan;
import pdagc.ir.Graph;
import pdagc.mesh.MeshContext;
import pdagc.sem.Deployment;
import pdagc.spmd.IrText;
import pdagc.spmd.SpmdProgram;

/**
 * The logical IR read back from its text: print, read, print gives the same text for every example
 * (and the fuzzer's regression files, which hold MLA, tied heads, learned positions and expert
 * meshes); and the partitioner's passes run on a graph read from text give the text the compiler
 * printed after them, so a pass can be tested IR in, IR out.
 */
class IrReaderTest {

    static Stream<String> files() throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(Repo.file("examples"))) {
            s.map(p -> "examples/" + p.getFileName()).filter(f -> f.endsWith(".pdag")).sorted().forEach(out::add);
        }
        assertTrue(out.size() >= 6, out.toString());
        try (Stream<Path> s = Files.list(Repo.file("compiler/src/test/resources/fuzz/regressions"))) {
            s.map(p -> "compiler/src/test/resources/fuzz/regressions/" + p.getFileName()).filter(f -> f.endsWith(".pdag")).sorted().forEach(out::add);
        }
        return out.stream();
    }

    /** The compiler's text after each pass, and the plan, of a file's one deploy. */
    record Printed(Map<String, String> text, MaterializedPlan plan) {}

    static Optional<Printed> compile(String file) {
        Compiler c = new Compiler(new LinkedHashSet<>(Compiler.PASSES));
        List<MaterializedPlan> plans = c.check(Repo.file(file), file);
        if (file.startsWith("examples/")) assertFalse(c.diagnostics().hasErrors(), () -> DiagnosticRenderer.render(c.diagnostics().sorted()));
        if (plans.size() != 1 || c.diagnostics().hasErrors()) return Optional.empty();   // refused regressions: nothing to read
        return Optional.of(new Printed(Map.copyOf(c.irText()), plans.get(0)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("files")
    void printReadPrintIsTheSameText(String file) {
        Optional<Printed> p = compile(file);
        assumeTrue(p.isPresent(), "refused before partitioning: no IR to read");
        String lower = p.get().text().get("lower");
        Graph g = IrReader.read(lower);
        assertEquals(lower, IrText.logical(g));
        assertEquals(p.get().plan().graph().size(), g.size());
        for (int i = 0; i < g.size(); i++) assertEquals(p.get().plan().graph().node(i).op(), g.node(i).op(), "op %" + i);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("files")
    void passesOnAReadGraphGiveThePrintedText(String file) {
        Optional<Printed> p = compile(file);
        assumeTrue(p.isPresent(), "refused before partitioning: no IR to read");
        Graph g = IrReader.read(p.get().text().get("lower"));
        // The text holds the program, not the strategy: the mesh context and the pipeline come from the deployment.
        Deployment d = p.get().plan().deployment();
        MeshContext mesh = GroupedSplits.refine(g, MeshContext.of(d.strategy().mesh(), d.strategy().expertMesh(), d.strategy().sequenceParallel()).orElseThrow());
        ShardingPropagation.Result shardings = ShardingPropagation.run(g, mesh, d.strategy().training().zero());
        assertEquals(p.get().text().get(ShardingPropagation.NAME), IrText.sharded(ShardingPropagation.NAME, g, shardings.output(), shardings.required()));
        int[] chunks = PipelineStaging.run(g, d.strategy().pipeline(), d.model().layers(), d.strategy().stageLayers());
        Diagnostics diagnostics = new Diagnostics();
        SpmdProgram spmd = InsertCollectives.run(g, shardings, mesh, d.strategy().pipeline(), chunks, diagnostics).orElseThrow();
        assertEquals(p.get().text().get(InsertCollectives.NAME), IrText.spmd(InsertCollectives.NAME, spmd));
    }

    @Test
    void aSmallProgramByHand() {
        String text = """
                // pass: lower (5 ops, dtype bf16)
                %0 = input () : [8,16]  // input
                %1 = embedding[vocab=1000, dim=64] @vocab(tp) (%0) : [8,16,64]  // embed.x
                %2 = rmsnorm[dim=64] (%1) : [8,16,64]  layer=0  // layers.0.n
                %3 = linear[in=64, out=128] @column(tp) (%2) : [8,16,128]  layer=0  // layers.0.up
                %4 = linear[in=128, out=64] @row(tp) (%3) : [8,16,64]  layer=0  // layers.0.down
                """;
        Graph g = IrReader.read(text);
        assertEquals(text, IrText.logical(g));
        MeshContext mesh = MeshContext.of(Shardings.mesh("dp", 2, "tp", 4));
        ShardingPropagation.Result r = ShardingPropagation.run(g, mesh);
        assertEquals("[{dp,_}, {dp,_,_} partial(tp), {dp,_,_}, {dp,_,tp}, {dp,_,_} partial(tp)]", r.output().toString());
    }

    @Test
    void malformedTextIsRefusedWithItsLine() {
        assertThrows(IrReader.ParseError.class, () -> IrReader.read("// pass: sharding-propagation\n"));
        IrReader.ParseError e = assertThrows(IrReader.ParseError.class,
                () -> IrReader.read("// pass: lower (2 ops, dtype bf16)\n%0 = input () : [8,16]  // input\n%1 = frobnicate[x=1] (%0) : [8]  // f\n"));
        assertTrue(e.getMessage().startsWith("line 3"), e.getMessage());
        assertThrows(IrReader.ParseError.class,
                () -> IrReader.read("// pass: lower (2 ops, dtype bf16)\n%0 = input () : [8,16]  // input\n%1 = gelu (%1) : [8,16]  // f\n"));
    }
}
