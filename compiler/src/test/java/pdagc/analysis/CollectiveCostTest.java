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

/**
 * The alpha-beta model (on a GPU kind without measurements): buffer convention, volume factors,
 * and the link a group spans; and the measured NCCL times where the kind has them.
 */
class CollectiveCostTest {
    /** An H100's data sheet under a name that has no microbenchmarks, so the formula applies. */
    static final GpuSpec H100 = new GpuSpec("H100-sheet", 989e12, 1979e12, 67e12, 132, 80e9, 3.35e12, 900e9, 0.8, 0.9, 2e-6, 5e-6, null, Span.NONE);
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

    /**
     * nccl-tests on an 8-GPU H100 node (stdlib/calibration/collectives.csv, aiconfigurator): an
     * all-reduce of exactly a measured size takes the measured time, one between two sizes lies
     * between their times, and the network formula still applies across nodes.
     */
    @Test
    void insideANodeOfAMeasuredKindTheMeasuredTimeApplies() throws Exception {
        GpuSpec measured = new GpuSpec("H100", 989e12, 1979e12, 67e12, 132, 80e9, 3.35e12, 900e9, 0.8, 0.9, 2e-6, 5e-6, null, Span.NONE);
        ClusterSpec cluster = new ClusterSpec("C", measured, 16, 8, 50e9, 3e-6, 10e-6, Map.of(), Span.NONE);
        java.util.Map<Long, Double> allReduce8 = new java.util.TreeMap<>();
        for (String line : java.nio.file.Files.readAllLines(pdagc.Repo.file("stdlib/calibration/collectives.csv"))) {
            if (line.startsWith("H100,\"one node") && line.contains(",all_reduce,8,")) {
                String[] tail = line.substring(line.indexOf(",all_reduce,8,") + ",all_reduce,8,".length()).split(",");
                allReduce8.put(Long.parseLong(tail[0]), Double.parseDouble(tail[1]) * 1e-6);
            }
        }
        assertEquals(true, allReduce8.size() >= 10, "measurements of an 8-GPU all-reduce");
        List<Integer> node = List.of(0, 1, 2, 3, 4, 5, 6, 7);
        long size = 1L << 20;
        Shape x = new Shape(size / 2);
        CollectiveCost c = CollectiveCost.of(CollectiveKind.ALL_REDUCE, x, x, node, gpus(), cluster, 2);
        assertEquals(allReduce8.get(size), c.seconds(), 1e-12);
        Shape y = new Shape(3 * size / 4);
        double between = CollectiveCost.of(CollectiveKind.ALL_REDUCE, y, y, node, gpus(), cluster, 2).seconds();
        assertEquals(true, between >= Math.min(allReduce8.get(size), allReduce8.get(2 * size)) && between <= Math.max(allReduce8.get(size),
                allReduce8.get(2 * size)), "interpolated: " + between);
        CollectiveCost across = CollectiveCost.of(CollectiveKind.ALL_REDUCE, x, x, List.of(0, 8), gpus(), cluster, 2);
        assertEquals(10e-6 + across.trafficBytes() / 50e9, across.seconds(), 1e-18);
    }

    @Test
    void aGroupOfOneCostsNothing() {
        Shape x = new Shape(4, 4);
        CollectiveCost c = cost(CollectiveKind.ALL_REDUCE, x, x, List.of(5));
        assertEquals(0, c.seconds());
        assertEquals(0, c.trafficBytes());
    }
}
