package pdagc.analysis;

import pdagc.ir.Overflow;
import java.util.List;
import pdagc.dag.GpuInfo;
import pdagc.ir.CollectiveKind;
import pdagc.ir.Shape;
import pdagc.sem.ClusterSpec;

/**
 * What one collective costs each member: the alpha-beta model {@code t = alpha + f(n)·S / B} with
 * the ring algorithm's volume factor {@code f(n)} ({@link CollectiveKind#volumeFactor}), the buffer
 * {@code S} and the link the group spans. It exists so that the roofline of computations and the
 * latency of communication stay two separate, stated rules.
 *
 * <p>{@code S} follows nccl-tests' size convention: the larger of the member's input and output
 * buffers, i.e. the whole buffer of an all-reduce or all-to-all, the output of an all-gather and
 * the input of a reduce-scatter. {@code f(n)·S} is what each member sends (and receives), rounded to
 * whole bytes. The link is NVLink when every member sits in one cluster node, at half the data
 * sheet's figure (the data sheet counts both directions; a ring sends one way), or for a GPU
 * without NVLink its PCIe link, halved alike; else the network at its per-GPU bandwidth (one
 * direction of the GPU's NIC); alpha is the cluster's {@code nvlink_latency} (inside a node, over
 * PCIe too) or {@code network_latency}, once per collective. A group of one GPU costs nothing.
 * Inside a node over NVLink, where the GPU kind has nccl-tests measurements of the kind and group
 * size ({@link Calibration}), the measured time at the buffer's size replaces the formula: it holds
 * the protocol switches and the latency of small messages that one alpha and one beta do not.
 */
public record CollectiveCost(CollectiveKind kind, int members, Link link, long bufferBytes, long trafficBytes, double seconds) {

    /** The link a group communicates over. */
    public enum Link {
        NONE("none"),
        NVLINK("NVLink"),
        /** Inside a node of GPUs without NVLink. */
        PCIE("PCIe"),
        NETWORK("network");

        private final String text;

        Link(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }
    }

    public static CollectiveCost of(CollectiveKind kind, Shape input, Shape output, List<Integer> group, List<GpuInfo> gpus,
            ClusterSpec cluster, int dtypeBytes) {
        long buffer = Overflow.mul(Math.max(input.elements(), output.elements()), dtypeBytes);
        int n = group.size();
        if (n <= 1) return new CollectiveCost(kind, n, Link.NONE, buffer, 0, 0);
        Link link = spansOneNode(group, gpus) ? nodeLink(cluster) : Link.NETWORK;
        long traffic = Math.round(kind.volumeFactor(n) * buffer);
        double seconds = latency(link, cluster) + traffic / bandwidth(link, cluster);
        if (link == Link.NVLINK) seconds = Calibration.of(cluster.gpu().measured().name()).collectiveSeconds(kind, n, buffer).orElse(seconds);
        if (link == Link.PCIE) seconds = overPcie(kind, n, buffer, cluster).orElse(seconds);
        return new CollectiveCost(kind, n, link, buffer, traffic, seconds);
    }

    /**
     * A collective over PCIe where the GPU kind has measurements of its kind: the group's own size
     * where measured, else a pair's, each of the ring's links running at the rate the pair measured
     * for the buffer's size (the pair's time times {@code f(n) / f(2)}). A ring over PCIe peer to
     * peer moves its data over one GPU-to-GPU link at a time, which is what a pair measures; larger
     * groups measured in one particular node also measure that node's topology (the L40S's 4 and 8
     * GPUs that do not reach each other peer to peer), which is not the GPU's.
     */
    static java.util.OptionalDouble overPcie(CollectiveKind kind, int n, long buffer, ClusterSpec cluster) {
        Calibration cal = Calibration.of(cluster.gpu().measured().name());
        java.util.OptionalDouble own = cal.collectiveSeconds(kind, n, buffer);
        if (own.isPresent()) return own;
        java.util.OptionalDouble pair = cal.collectiveSeconds(kind, 2, buffer);
        if (pair.isEmpty()) return pair;
        return java.util.OptionalDouble.of(pair.getAsDouble() * kind.volumeFactor(n) / kind.volumeFactor(2));
    }

    /** The link between the GPUs of one of the cluster's nodes: NVLink, or PCIe for GPUs without it. */
    public static Link nodeLink(ClusterSpec cluster) {
        return cluster.gpu().hasNvlink() ? Link.NVLINK : Link.PCIE;
    }

    /** Bytes per second one GPU sends over the link. */
    public static double bandwidth(Link link, ClusterSpec cluster) {
        return switch (link) {
            case NVLINK -> cluster.gpu().nvlinkBandwidth() / 2;
            case PCIE -> cluster.gpu().pcieBandwidth() / 2;
            case NETWORK -> cluster.networkBandwidth();
            case NONE -> Double.POSITIVE_INFINITY;
        };
    }

    static double latency(Link link, ClusterSpec cluster) {
        return switch (link) {
            case NVLINK, PCIE -> cluster.nvlinkLatency();
            case NETWORK -> cluster.networkLatency();
            case NONE -> 0;
        };
    }

    private static boolean spansOneNode(List<Integer> group, List<GpuInfo> gpus) {
        int node = gpus.get(group.get(0)).node();
        for (int g : group) if (gpus.get(g).node() != node) return false;
        return true;
    }
}
