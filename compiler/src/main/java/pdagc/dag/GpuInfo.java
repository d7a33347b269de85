package pdagc.dag;

import java.util.List;

/** One GPU of the plan: its id (= mesh rank), mesh coordinates by axis name, and cluster node. */
public record GpuInfo(int id, List<Integer> coords, int node) {}
