package pdagc.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import pdagc.dag.GpuInfo;
import pdagc.ir.CollectiveKind;
import pdagc.ir.Shape;
import pdagc.sem.ClusterSpec;
import pdagc.sem.GpuSpec;
import pdagc.source.Span;

/** The alpha-beta model: buffer convention, volume factors, and the link a group spans. */
class CollectiveCostTest {
    static final GpuSpec H100 = new GpuSpec("H100", 989e12, 80e9, 3.35e12, 900e9, 0.8, 0.9, Span.NONE);
    static final ClusterSpec CLUSTER = new ClusterSpec("C", H100, 16, 8, 50e9, 3e-6, 10e-6, Map.of(), Span.NONE);

    static List<GpuInfo> gpus() {
        List<GpuInfo> out = new ArrayList<>();
        for (int g = 0; g < 16; g++) out.add(new GpuInfo(g, List.of(g), g / 8));
        return out;
    }

    static CollectiveCost cost(CollectiveKind k, Shape in, Shape out, List<Integer> group) {
        return CollectiveCost.of(k, in, out, group, gpus(), CLUSTER, 2);
    }

    @Test
    void anAllReduceInsideANodeUsesOneDirectionOfNvlink() {
        Shape x = new Shape(8, 128, 512);
        CollectiveCost c = cost(CollectiveKind.ALL_REDUCE, x, x, List.of(0, 1, 2, 3));
        assertEquals(CollectiveCost.Link.NVLINK, c.link());
        assertEquals(8L * 128 * 512 * 2, c.bufferBytes());
        assertEquals(Math.round(2.0 * 3 / 4 * c.bufferBytes()), c.trafficBytes());
        assertEquals(3e-6 + c.trafficBytes() / 450e9, c.seconds(), 1e-18);
    }

    @Test
    void gatherAndScatterCountTheWholeBufferAsNcclTestsDo() {
        Shape shard = new Shape(8, 1, 8000), whole = new Shape(8, 1, 32000);
        CollectiveCost gather = cost(CollectiveKind.ALL_GATHER, shard, whole, List.of(0, 1, 2, 3));
        assertEquals(whole.elements() * 2, gather.bufferBytes(), "all-gather: the output");
        assertEquals(whole.elements() * 2 * 3 / 4, gather.trafficBytes());
        CollectiveCost scatter = cost(CollectiveKind.REDUCE_SCATTER, whole, shard, List.of(0, 1, 2, 3));
        assertEquals(whole.elements() * 2, scatter.bufferBytes(), "reduce-scatter: the input");
    }

    @Test
    void aGroupAcrossNodesUsesTheNetwork() {
        Shape x = new Shape(16, 128, 512), y = new Shape(1, 2048, 512);
        CollectiveCost c = cost(CollectiveKind.ALL_TO_ALL, x, y, List.of(0, 4, 8, 12));
        assertEquals(CollectiveCost.Link.NETWORK, c.link());
        assertEquals(x.elements() * 2 * 3 / 4, c.trafficBytes());
        assertEquals(10e-6 + c.trafficBytes() / 50e9, c.seconds(), 1e-18);
    }

    @Test
    void aGroupOfOneCostsNothing() {
        Shape x = new Shape(4, 4);
        CollectiveCost c = cost(CollectiveKind.ALL_REDUCE, x, x, List.of(5));
        assertEquals(0, c.seconds());
        assertEquals(0, c.trafficBytes());
    }
}
