package pdagc.verify;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import pdagc.ast.Decl;
import pdagc.ast.Ident;
import pdagc.ast.Stmt;
import pdagc.mesh.Mesh;
import pdagc.mesh.MeshAxes;
import pdagc.mesh.MeshContext;
import pdagc.program.Module;
import pdagc.sem.Deployment;
import pdagc.sem.ModelSpec;
import pdagc.sem.Phase;
import pdagc.sem.StrategySpec;
import pdagc.sem.WorkloadSpec;

/**
 * Sizes a deployment down to tiny shapes that keep every divisibility its strategy needs, on the same
 * mesh: tp divides the heads, key/value heads, FFN widths and vocabulary; ep divides the experts;
 * the batch splits over the data-parallel axes. Query heads per key/value group, the top-k and
 * first dense layers are kept where small; at most two layers of each kind remain. Shared-expert
 * widths, learned positions and latent-attention ranks shrink too, where the model has them. The
 * batch is set by the split, not shrunk: two sequences for each way it splits (one beyond 16
 * ways), so a small batch can grow, and the notes say so.
 */
public final class Shrink {
    private Shrink() {}

    /** The shrunk deployment and a line per changed size saying why it was chosen. */
    public record Result(Deployment deployment, List<String> notes) {}

    public static Result run(Deployment d) {
        Mesh mesh = d.strategy().mesh();
        ModelSpec m = d.model();
        int tp = d.strategy().size(MeshAxes.TP);
        List<String> notes = new ArrayList<>();
        Map<String, Long> p = new LinkedHashMap<>(m.params());
        // Every split divides a size by a product of distinct mesh factors that annotations name;
        // a tiny size with the same gcd with their product (twice it, to keep parity for rotary
        // halves) is divided by exactly the products the full size is, so the tiny plan makes the
        // same choices: the same splits, the same replications, the same transient all-to-all
        // splits of the expert dimension. Batch and sequence are shrunk by their own rules below.
        long n = splitting(d);
        long kvFull = m.param("kv_heads");
        long kv = keep(kvFull, n, 2);
        long heads = grouped(m.param("heads"), kvFull, kv, n);
        // Latent attention (a kv_lora_rank) reads no key/value heads: kv_heads shrinks as before,
        // unreported. Elsewhere, each query head group keeps its size where small.
        boolean latent = m.param("kv_lora_rank") > 0;
        if (latent) {
            p.put("kv_heads", kv);
            set(p, notes, "heads", heads, why(m.param("heads"), heads, n));
        } else {
            set(p, notes, "kv_heads", kv, why(kvFull, kv, n));
            long group = heads / kv;
            set(p, notes, "heads", heads, group + (group == 1 ? " query head" : " query heads") + " per key/value head; " + why(m.param("heads"), heads, n));
        }
        shrink(p, notes, m, "head_dim", 4, n);
        shrink(p, notes, m, "hidden", 8, n);
        shrink(p, notes, m, "ffn", 4, n);
        // Dense models carry expert_ffn (it defaults to ffn) but never read it: shrunk alike, unreported.
        if (m.isMoe()) shrink(p, notes, m, "expert_ffn", 4, n);
        else if (m.param("expert_ffn") > 0) p.put("expert_ffn", keep(m.param("expert_ffn"), n, 4));
        shrink(p, notes, m, "vocab", 8, n);
        if (m.isMoe()) {
            long experts = keep(m.experts(), n, 2);
            set(p, notes, "experts", experts, why(m.experts(), experts, n));
            set(p, notes, "top", Math.min(m.param("top"), experts), "the model's top-k, at most the experts");
        }
        if (m.param("shared_ffn") > 0) shrink(p, notes, m, "shared_ffn", 4, n);
        if (m.param("kv_lora_rank") > 0) {
            shrink(p, notes, m, "kv_lora_rank", 6, n);
            shrink(p, notes, m, "qk_nope_dim", 4, n);
            shrink(p, notes, m, "qk_rope_dim", 2, n);
            shrink(p, notes, m, "v_head_dim", 4, n);
            if (m.param("q_lora_rank") > 0) shrink(p, notes, m, "q_lora_rank", 6, n);
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
            // At least one layer per pipeline chunk, and only the kinds of layer the model has: the
            // extra ones are of the kind the model has more of beyond the tiny model's.
            long chunks = s.pipeline().chunks();
            long moe = layers - dense;
            long extraMoe = Math.max(0, Math.min(chunks - layers, m.layers() - m.firstDense() - moe));
            long extraDense = Math.max(0, Math.min(chunks - layers - extraMoe, m.firstDense() - dense));
            if (extraDense > 0) {
                dense += extraDense;
                set(p, notes, "first_dense", dense, "dense layers to fill the pipeline chunks");
            }
            layers = Math.max(layers + extraMoe + extraDense, chunks);
            set(p, notes, "layers", layers, chunks > 1 ? "at least one per pipeline chunk, two of each kind" : "two layers of each kind are enough to chain them");
        }
        if (m.isMoe() && m.moeLayers() == 0) {
            if (dense != layers) set(p, notes, "first_dense", layers, "every layer is dense, as in the model");
        } else if (dense > layers) {
            set(p, notes, "first_dense", layers, "no more than the layers");
        }
        if (m.moeEvery() > 1 && m.moeLayers() > 0) {
            // MoE layers between dense ones: the smallest step from 2 whose tiny layers route at least one (a model with
            // moe_every above 1 always has dense layers too: layer 0 is one), so the tiny plan has both kinds, as the model.
            long first = p.get("first_dense"), tiny = p.get("layers"), every = m.moeEvery();
            for (long e = 2; e <= tiny + 1; e++) {
                if (routes(first, e, tiny)) {
                    every = e;
                    break;
                }
            }
            set(p, notes, "moe_every", every, "the smallest step at which the tiny layers hold both kinds, as the model");
        }
        WorkloadSpec w = d.workload();
        int ways = mesh.size(MeshAxes.BATCH) * s.pipeline().microBatches();
        long batch = ways * (ways <= 16 ? 2L : 1L);
        boolean decode = w.phase() == Phase.DECODE;
        long unit = (long) (s.sequenceParallel() ? tp : 1) * mesh.size(MeshAxes.CP);
        long seq = decode ? 1 : unit * Math.max(1, (4 + unit - 1) / unit);
        // A training step sends each tp rank's block of the sequence between pipeline stages where the
        // ranks' sequence divides (Megatron's scatter/gather): the tiny sequence per cp rank keeps its
        // gcd with tp, so it splits exactly where the real one does.
        long cp = mesh.size(MeshAxes.CP);
        long tpShare = 1;
        if (w.phase() == Phase.TRAIN && tp > 1 && w.seq() % cp == 0) {
            long g = gcd(w.seq() / cp, tp);
            long per = Math.max(1, (4 + cp - 1) / cp);
            while (gcd(per, tp) != g) per++;
            seq = cp * per;
            tpShare = g;
        }
        long context = decode ? 5 : seq;
        long each = batch / ways;
        String over = s.pipeline().microBatches() > 1 ? (mesh.size(MeshAxes.BATCH) > 1 ? "the data-parallel axes and micro-batches" : "micro-batches")
                : "the data-parallel axes";
        notes.add(change("batch", w.batch(), batch) + each + (each == 1 ? " sequence" : " sequences")
                + (ways == 1 ? "; no data-parallel axis splits it)" : " for each of the " + ways + " parts it splits into over " + over + ")"));
        notes.add((decode ? change("context", w.context(), context) : change("seq", w.seq(), seq))
                + (unit > 1 && !decode ? "a multiple of the " + unit + " ranks that split the sequence" : "small")
                + (tpShare > 1 && !s.sequenceParallel() ? "; keeps the factor " + tpShare + " it shares with tp, whose ranks send their blocks of it between stages)" : ")"));
        if (m.param("positions") > 0) {
            // Enough for the tiny workload, with the real table's gcd with n: ZeRO shards the table like any weight.
            set(p, notes, "positions", atLeast(m.param("positions"), n, Math.max(8, decode ? context + 1 : seq)),
                    "holds every position of the tiny workload");
        }
        ModelSpec tiny = new ModelSpec(m.name(), Map.copyOf(p), m.norm(), m.act(), m.embed(), m.layer(), m.denseLayer(), m.head(), m.spans(), m.span(),
                m.mtpLayer(), m.dropout());
        WorkloadSpec tinyW = new WorkloadSpec(w.name(), batch, seq, w.phase(), context, w.dtype(), w.execution(), w.spans(), w.span(), null,
                w.expertDtype(), w.vocabularyDtype());
        StrategySpec tinyS = new StrategySpec(s.name(), s.mesh(), s.expertMesh(), s.sequenceParallel(), s.pipeline(), stageLayers == null ? null : List.copyOf(stageLayers), s.axisSpans(),
                s.spans(), s.meshSpan(), s.span(), s.training());
        return new Result(new Deployment(d.name(), tiny, d.cluster(), tinyS, tinyW, List.of(), d.program(), d.span()), notes);
    }

    /**
     * Twice the product of the mesh factors that the program's annotations name (pp, which splits
     * layers and never a size, left out): every size a plan splits, other than the batch and the
     * sequence, is split over a product of some of them. A training step's ZeRO shards split its
     * weights over the axes their gradients are reduced over (the data-parallel axes, cp, tp under
     * sequence parallelism), which no annotation names: with ZeRO, every factor but pp's counts, so
     * the tiny plan shards each weight on the same dimension as the real one, or leaves it whole
     * where the real one does.
     */
    static long splitting(Deployment d) {
        Set<String> named = new TreeSet<>();
        for (Module m : d.program().modules()) {
            for (Decl decl : m.declList()) {
                if (!(decl instanceof Decl.Block b)) continue;
                for (Stmt st : b.body()) {
                    if (!(st instanceof Stmt.Let let)) continue;
                    for (Stmt.Annotation a : let.annotations()) for (Ident x : a.axes()) named.add(x.text());
                }
            }
        }
        named.remove(MeshAxes.PP);
        StrategySpec s = d.strategy();
        Optional<MeshContext> ctx = MeshContext.of(s.mesh(), s.expertMesh(), s.sequenceParallel());
        if (ctx.isEmpty()) return 2L * s.mesh().size();
        Set<String> factors = new LinkedHashSet<>();
        for (String a : named) factors.addAll(ctx.get().resolve(a));
        if (d.workload().phase() == Phase.TRAIN && s.training().zero() > 0) {
            for (Mesh.Axis f : ctx.get().mesh().axes()) factors.add(f.name());
            ctx.get().resolve(MeshAxes.PP).forEach(factors::remove);
        }
        long n = 2;
        for (String f : factors) n *= ctx.get().mesh().size(f);
        return n;
    }

    /**
     * The smallest divisor of {@code v} (or, where none fits, another size) of at least
     * {@code min(v, floor)} whose gcd with {@code n} is {@code v}'s.
     */
    static long keep(long v, long n, long floor) {
        long g = gcd(v, n);
        long want = Math.min(v, floor);
        for (long c = 1; c <= 4096 && g * c <= v; c++) {
            long x = g * c;
            if (x >= want && v % x == 0 && gcd(x, n) == g) return x;
        }
        for (long c = (want + g - 1) / g; ; c++) if (gcd(g * c, n) == g) return g * c;
    }

    /** The smallest size of at least {@code want} whose gcd with {@code n} is {@code v}'s. */
    static long atLeast(long v, long n, long want) {
        long g = gcd(v, n);
        for (long c = (want + g - 1) / g; ; c++) if (gcd(g * c, n) == g) return g * c;
    }

    /** Query heads: a whole number of query heads per key/value head, with the full count's gcd with {@code n}. */
    static long grouped(long heads, long kvFull, long kv, long n) {
        long group = heads / kvFull;
        long g = gcd(heads, n);
        for (long c = Math.min(group, 2); c <= Math.min(group, 4096); c++) {
            if (group % c == 0 && gcd(kv * c, n) == g) return kv * c;
        }
        for (long c = 1; c <= Math.min(group, 4096); c++) if (group % c == 0 && gcd(kv * c, n) == g) return kv * c;
        return kv * group;
    }

    private static void shrink(Map<String, Long> p, List<String> notes, ModelSpec m, String key, long floor, long n) {
        long v = m.param(key);
        if (v <= 0) return;
        long x = keep(v, n, floor);
        set(p, notes, key, x, why(v, x, n));
    }

    private static String why(long full, long tiny, long n) {
        long g = gcd(full, n);
        return g > 2 ? "keeps the factor " + g + " it shares with the mesh" : "small";
    }

    private static long gcd(long a, long b) {
        while (b != 0) {
            long t = a % b;
            a = b;
            b = t;
        }
        return Math.abs(a);
    }

    /** Whether a model of {@code layers} layers, {@code first} dense first and one in {@code every} MoE after them, routes any layer. */
    private static boolean routes(long first, long every, long layers) {
        for (long i = first; i < layers; i++) if ((i + 1) % every == 0) return true;
        return false;
    }

    private static void set(Map<String, Long> p, List<String> notes, String key, long value, String why) {
        Long old = p.put(key, value);
        if (old == null || old != value) notes.add(key + " " + old + " -> " + value + " (" + why + ")");
    }

    /** {@code batch 8 -> 16 (}, or {@code batch 32 (unchanged: } where the size stays. */
    private static String change(String key, long from, long to) {
        return from == to ? key + " " + from + " (unchanged: " : key + " " + from + " -> " + to + " (" + (to > from ? "larger: " : "");
    }
}
