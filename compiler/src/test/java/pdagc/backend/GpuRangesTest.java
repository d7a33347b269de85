package pdagc.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class GpuRangesTest {
    @Test
    void compressesRunsAndStrides() {
        assertEquals("", GpuRanges.format(List.of()));
        assertEquals("5", GpuRanges.format(List.of(5)));
        assertEquals("0,1", GpuRanges.format(List.of(0, 1)));
        assertEquals("0-3", GpuRanges.format(List.of(0, 1, 2, 3)));
        assertEquals("0,4,...,60", GpuRanges.format(List.of(0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60)));
        assertEquals("0-3,8,10,...,14,20", GpuRanges.format(List.of(0, 1, 2, 3, 8, 10, 12, 14, 20)));
        assertEquals("0,2", GpuRanges.format(List.of(0, 2)));
    }

    @Test
    void namesOneOrManyGpus() {
        assertEquals("GPU 7", GpuRanges.gpus(List.of(7)));
        assertEquals("GPUs 0-63", GpuRanges.gpus(java.util.stream.IntStream.range(0, 64).boxed().toList()));
    }
}
