package pdagc.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import pdagc.driver.Compile;
import pdagc.driver.MaterializedPlan;

/** The streamed nodes and edges of a plan file are byte for byte what the node-by-node writer gives. */
class JsonStreamTest {

    static Stream<Arguments> plans() throws IOException {
        List<Arguments> all = new ArrayList<>();
        pdagc.verify.StrategyMatrixTest.strategies().forEach(all::add);
        all.add(Arguments.of("moe ep2 tp2, fp8 with fp16 experts", JsonBackendTest.MIXED_PRECISION));
        try (Stream<java.nio.file.Path> files = java.nio.file.Files.list(pdagc.Repo.file("examples"))) {
            files.map(f -> "examples/" + f.getFileName()).filter(f -> f.endsWith(".pdag")).sorted()
                    .filter(f -> !f.contains("mixtral_8x7b_ep_tp"))   // two deploys; its plans are in the strategy matrix's shapes
                    .forEach(f -> all.add(Arguments.of(f, null)));
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("plans")
    void streamedEqualsNodeByNode(String name, String source) throws IOException {
        MaterializedPlan p = source == null ? Compile.file(name) : Compile.source(source);
        assertTrue(JsonBackend.streams(p.dag(), p.analysis()), "the plan streams");
        for (boolean withAnalysis : new boolean[] {true, false}) {
            ByteArrayOutputStream streamed = new ByteArrayOutputStream();
            ByteArrayOutputStream reference = new ByteArrayOutputStream();
            JsonBackend.write(p.dag(), withAnalysis ? p.analysis() : null, streamed);
            JsonBackend.writeNodeByNode(p.dag(), withAnalysis ? p.analysis() : null, reference);
            assertEquals(reference.size(), streamed.size(), "bytes");
            assertArrayEquals(reference.toByteArray(), streamed.toByteArray());
        }
    }
}
