package pdagc.verify;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import pdagc.front.MeshAxes;
import pdagc.mesh.Mesh;
import pdagc.sem.Deployment;
import pdagc.sem.ModelSpec;
import pdagc.sem.Phase;
import pdagc.sem.StrategySpec;
import pdagc.sem.WorkloadSpec;

/**
 * Shrinks a deployment to tiny shapes that keep every divisibility its strategy needs, on the same
 * mesh: tp divides the heads, key/value heads, FFN widths and vocabulary; ep divides the experts;
 * the batch splits over the data-parallel axes. Query heads per key/value group, the top-k and
 * first dense layers are kept where small; at most two layers of each kind remain. Shared-expert
 * widths, learned positions and latent-attention ranks shrink too, where the model has them.
 */
public final class Shrink {
    private Shrink() {}

    /** The shrunk deployment and a line per changed size saying why it was chosen. */
    public record Result(Deployment deployment, List<String> notes) {}

    public static Result run(Deployment d) {
        Mesh mesh = d.strategy().mesh();
        ModelSpec m = d.model();
        int tp = d.strategy().size("tp");
        int etp = d.strategy().size("etp");
        int ep = d.strategy().size("ep");
        List<String> notes = new ArrayList<>();
        Map<String, Long> p = new LinkedHashMap<>(m.params());
        long kv = tp > 1 ? tp : Math.min(m.param("kv_heads"), 2);
        long perGroup = Math.min(m.param("heads") / m.param("kv_heads"), 2);
        set(p, notes, "kv_heads", kv, tp > 1 ? "tp " + tp + " divides it" : "small");
        set(p, notes, "heads", kv * perGroup, perGroup + " query heads per key/value head, as the model groups them");
        set(p, notes, "head_dim", 4, "small");
        set(p, notes, "hidden", 8, "small");
        set(p, notes, "ffn", 4L * tp, "tp " + tp + " divides it");
        set(p, notes, "expert_ffn", 4L * etp, "expert tp " + etp + " divides it");
        set(p, notes, "vocab", 8L * tp, "tp " + tp + " divides it");
        if (m.isMoe()) {
            long experts = ep * Math.min(m.experts() / ep, 2);
            set(p, notes, "experts", experts, "ep " + ep + " divides it");
            set(p, notes, "top", Math.min(m.param("top"), experts), "the model's top-k, at most the experts");
        }
        if (m.param("shared_ffn") > 0) set(p, notes, "shared_ffn", 4L * tp, "tp " + tp + " divides it");
        if (m.param("positions") > 0) set(p, notes, "positions", 8, "holds every position of the tiny workload");
        if (m.param("kv_lora_rank") > 0) {
            set(p, notes, "kv_lora_rank", 6, "small");
            set(p, notes, "qk_nope_dim", 4, "small");
            set(p, notes, "qk_rope_dim", 2, "small");
            set(p, notes, "v_head_dim", 4, "small");
            if (m.param("q_lora_rank") > 0) set(p, notes, "q_lora_rank", 6, "small");
        }
        long dense = Math.min(m.firstDense(), 1);
        set(p, notes, "first_dense", dense, "keeps a dense layer where the model has them");
        StrategySpec s = d.strategy();
        List<Long> stageLayers = null;
        long layers = dense + Math.min(m.layers() - m.firstDense(), 2);
        if (s.stageLayers() != null) {
            stageLayers = new ArrayList<>();
            for (long c : s.stageLayers()) stageLayers.add(Math.min(c, 2));
            layers = stageLayers.stream().mapToLong(Long::longValue).sum();
            set(p, notes, "layers", layers, "each stage keeps up to two of its layers");
        } else {
            layers = Math.max(layers, s.pipeline().chunks());
            set(p, notes, "layers", layers, s.pipeline().chunks() > 1 ? "at least one per pipeline chunk, two of each kind" : "two layers of each kind are enough to chain them");
        }
        if (dense > layers) set(p, notes, "first_dense", layers, "no more than the layers");
        ModelSpec tiny = new ModelSpec(m.name(), Map.copyOf(p), m.norm(), m.act(), m.embed(), m.layer(), m.denseLayer(), m.head(), m.spans(), m.span(),
                m.mtpLayer());
        WorkloadSpec w = d.workload();
        int ways = mesh.size(MeshAxes.BATCH) * s.pipeline().microBatches();
        long batch = ways * (ways <= 16 ? 2L : 1L);
        boolean decode = w.phase() == Phase.DECODE;
        long unit = (long) (s.sequenceParallel() ? tp : 1) * mesh.size("cp");
        long seq = decode ? 1 : unit * Math.max(1, (4 + unit - 1) / unit);
        long context = decode ? 5 : seq;
        notes.add("batch " + w.batch() + " -> " + batch + " (splits " + ways + " ways over the data-parallel axes"
                + (s.pipeline().microBatches() > 1 ? " and micro-batches" : "") + ")");
        notes.add((decode ? "context " + w.context() + " -> " + context : "seq " + w.seq() + " -> " + seq)
                + (unit > 1 && !decode ? " (a multiple of the " + unit + " ranks that split the sequence)" : " (small)"));
        WorkloadSpec tinyW = new WorkloadSpec(w.name(), batch, seq, w.phase(), context, w.dtype(), w.spans(), w.span());
        StrategySpec tinyS = new StrategySpec(s.name(), s.mesh(), s.expertMesh(), s.sequenceParallel(), s.pipeline(), stageLayers == null ? null : List.copyOf(stageLayers), s.axisSpans(),
                s.spans(), s.meshSpan(), s.span());
        return new Result(new Deployment(d.name(), tiny, d.cluster(), tinyS, tinyW, List.of(), d.program(), d.span()), notes);
    }

    private static void set(Map<String, Long> p, List<String> notes, String key, long value, String why) {
        Long old = p.put(key, value);
        if (old == null || old != value) notes.add(key + " " + old + " -> " + value + " (" + why + ")");
    }
}
