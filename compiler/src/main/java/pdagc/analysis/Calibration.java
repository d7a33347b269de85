package pdagc.analysis;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.ConcurrentHashMap;
import pdagc.ir.CollectiveKind;
import pdagc.ir.DType;
import pdagc.sem.GpuSpec;

/**
 * Microbenchmark measurements of one GPU kind, which the kernel model reads instead of assuming a
 * fixed fraction of peak: matrix products by shape and fused attention kernels by shape, each as
 * an <em>efficiency</em> (the data-sheet roofline time of its own shape over its measured time),
 * fused MoE layers (routing, permutation, the experts' grouped products, finalize) by the routed
 * tokens, the experts and the widths, as the efficiency of their expert products,
 * and NCCL collectives inside one node by kind, ranks and size. The data are the CSV files of
 * {@code stdlib/calibration/} with their sources in its {@code SOURCES.md} (read at run time from
 * their compact form, the {@code .tsv} files beside them): per-kernel and
 * nccl-tests measurements published by Vidur, NVIDIA's aiconfigurator and DeepGEMM, never an
 * end-to-end serving figure. A GPU kind without measurements (or a shape class without) gets
 * empty answers, and the kernel model falls back to its data-sheet rules.
 *
 * <p>Efficiencies are looked up by the nearest measured shapes: in log2 of the dimensions, the
 * inverse-distance-weighted geometric mean of the efficiencies of the {@value #NEIGHBOURS} nearest
 * measurements (an exact match gives its own). Collectives interpolate time linearly in log-log
 * between the two measured sizes around the buffer, and extrapolate beyond the largest at the
 * largest measurement's bandwidth.
 */
public final class Calibration {
    static final int NEIGHBOURS = 3;

    record Gemm(String dtype, double m, double n, double k, double seconds, double lm, double ln, double lk) {
        Gemm(String dtype, double m, double n, double k, double seconds) {
            this(dtype, m, n, k, seconds, log2(m), log2(n), log2(k));
        }
    }

    record Attention(boolean prefill, String dtype, String kvDtype, double batch, double q, double kv, double heads, double kvHeads, double headDim,
            double seconds) {}

    record Point(double bytes, double seconds) {}

    /**
     * Fused MoE layers measured on one rank, one series of token counts: {@code experts} experts of
     * {@code hidden} by {@code inter} on the rank (gated: gate and up, then down; the layer's
     * intermediate width over its tp, its experts over its ep), and at each count the rank's routed
     * tokens ({@code entries}: tokens · top-k / ep under balanced routing, ascending) and the
     * measured seconds.
     */
    record MoeSeries(String dtype, double hidden, double inter, double experts, double perToken, double[] entries, double[] seconds) {
        /** The measured layer's efficiency at its {@code i}-th count: its three products' roofline over its time. */
        double efficiency(int i, GpuSpec gpu, DType dtype) {
            double active = Math.min(experts, entries[i]);
            return Math.min(1, expertRoofline(active, entries[i] / active, hidden, inter, 3, gpu, dtype) / seconds[i]);
        }
    }

    private final List<Gemm> gemms = new ArrayList<>();
    private final List<Attention> attention = new ArrayList<>();
    private final Map<String, List<Point>> collectives = new ConcurrentHashMap<>();
    /** Fused MoE series under balanced routing, by layer and split. */
    private final Map<String, MoeSeries> moe = new java.util.LinkedHashMap<>();
    /**
     * What {@code routing power_law} is timed from: each layer and split's power-law series where
     * there is one that passed {@link #consistent}, else its balanced one.
     */
    private final List<MoeSeries> moeUnderPowerLaw = new ArrayList<>();

    /** The distribution column's word for balanced routing; power-law rows are {@value #POWER_LAW}. */
    static final String BALANCED = "balanced", POWER_LAW = "power_law_1.2";

    /**
     * Whether a power-law series of a layer without expert parallelism agrees with its balanced twin
     * where the two cannot differ: one token routes to top-k experts of the rank's own under any
     * distribution, so both runs do the same work, and a one-token time more than
     * {@value #ONE_TOKEN_AGREEMENT} times the other's (either way) says that one of them timed
     * something else (aiconfigurator's power-law Mixtral-8x22B layer in bf16 over 8 tensor-parallel
     * H100s: 294 us for one token against the balanced 79 us, and so at every count); such a series
     * is not used, and the layer is timed as balanced. With expert parallelism the busiest rank of
     * a skewed run may get more of one token's routes than a balanced rank, and the check does not apply;
     * nor does it where no balanced twin was measured (the A100's layers).
     */
    private static boolean consistent(String[] row, Map<String, Double> oneToken) {
        if (d(row[8]) != 1) return true;
        String twin = layer(row);
        Double skewed = oneToken.get(twin + "/" + row[9]), balanced = oneToken.get(twin + "/" + BALANCED);
        if (balanced == null) return true;
        if (skewed == null) return false;
        return Math.max(skewed / balanced, balanced / skewed) <= ONE_TOKEN_AGREEMENT;
    }

    /** A compact MoE row's layer and split (type, widths, top-k, experts, tp, ep), without its routing distribution. */
    private static String layer(String[] row) {
        return String.join("/", row[1], row[3], row[4], row[5], row[6], row[7], row[8]);
    }

    /** How far apart a power-law and a balanced one-token measurement of the same layer may be (noise runs to about 1.1). */
    static final double ONE_TOKEN_AGREEMENT = 1.25;
    /** Answers by question; keys are built by hand (a record's hashCode is bootstrapped on first use, which start-up pays). */
    private final Map<String, OptionalDouble> answers = new ConcurrentHashMap<>();

    /** The part of a question's key that names the data sheet its efficiencies are read against. */
    private static StringBuilder key(String what, GpuSpec gpu, DType dtype) {
        return new StringBuilder(what).append('/').append(gpu.name()).append('/').append(gpu.peakFlops(dtype)).append('/').append(gpu.hbmBandwidth())
                .append('/').append(dtype.name()).append('/');
    }

    private static final Map<String, Calibration> BY_GPU = new ConcurrentHashMap<>();

    /** Set {@code PDAGC_NO_CALIBRATION=1} to see the data-sheet model alone (every kind without measurements). */
    private static final boolean OFF = "1".equals(System.getenv("PDAGC_NO_CALIBRATION"));

    /** The measurements of GPU kind {@code name} (the name of its {@code gpu} declaration). */
    public static Calibration of(String name) {
        return BY_GPU.computeIfAbsent(OFF ? "" : name, Calibration::load);
    }

    private static volatile List<String> kinds;

    /** The GPU kinds that have measurements, sorted. */
    public static List<String> kinds() {
        if (kinds == null) {
            java.util.TreeSet<String> out = new java.util.TreeSet<>();
            for (String f : COMPACT) for (String[] r : compact(f)) out.add(r[0]);
            kinds = List.copyOf(out);
        }
        return kinds;
    }

    /** The compact tables, by name: {@code calibration/NAME.tsv}, written by {@link #compactTables} from the sourced CSV files. */
    static final List<String> COMPACT = List.of("gemm", "attention", "collectives", "moe");

    private static Calibration load(String gpu) {
        Calibration c = new Calibration();
        for (String[] r : compact("gemm")) {
            if (gpu.equals(r[0])) c.gemms.add(new Gemm(r[1], d(r[2]), d(r[3]), d(r[4]), d(r[5]) * 1e-6));
        }
        for (String[] r : compact("attention")) {
            if (gpu.equals(r[0])) {
                c.attention.add(new Attention(r[1].equals("prefill"), r[2], r[3], d(r[4]), d(r[5]), d(r[6]), d(r[7]), d(r[8]), d(r[9]), d(r[10]) * 1e-6));
            }
        }
        for (String[] r : compact("collectives")) {
            if (gpu.equals(r[0])) c.collectives.computeIfAbsent(r[1] + "/" + r[2], x -> new ArrayList<>()).add(new Point(d(r[3]), d(r[4]) * 1e-6));
        }
        for (List<Point> points : c.collectives.values()) points.sort((a, b) -> Double.compare(a.bytes(), b.bytes()));
        // Series by layer, split and routing distribution; a rank whose share is under one routed token (top-8 of one token over
        // 32 ranks) measured whichever rank it was, and is left out.
        Map<String, java.util.TreeMap<Double, Double>> series = new java.util.LinkedHashMap<>();
        Map<String, String[]> first = new java.util.HashMap<>();
        Map<String, Double> oneToken = new java.util.HashMap<>();
        Map<String, MoeSeries> powerLaw = new java.util.LinkedHashMap<>();
        for (String[] r : compact("moe")) {
            if (!gpu.equals(r[0])) continue;
            String key = layer(r) + "/" + r[9];
            if (d(r[2]) == 1) oneToken.put(key, d(r[10]));
            double entries = d(r[2]) * d(r[5]) / d(r[8]);
            if (entries < 1) continue;
            series.computeIfAbsent(key, k -> new java.util.TreeMap<>()).put(entries, d(r[10]) * 1e-6);
            first.putIfAbsent(key, r);
        }
        for (Map.Entry<String, java.util.TreeMap<Double, Double>> e : series.entrySet()) {
            String[] r = first.get(e.getKey());
            if (!r[9].equals(BALANCED) && !consistent(r, oneToken)) continue;
            double[] entries = e.getValue().keySet().stream().mapToDouble(Double::doubleValue).toArray();
            double[] seconds = e.getValue().values().stream().mapToDouble(Double::doubleValue).toArray();
            MoeSeries m = new MoeSeries(r[1], d(r[3]), d(r[4]) / d(r[7]), d(r[6]) / d(r[8]), d(r[5]) / d(r[8]), entries, seconds);
            (r[9].equals(BALANCED) ? c.moe : powerLaw).put(layer(r), m);
        }
        Map<String, MoeSeries> underPowerLaw = new java.util.LinkedHashMap<>(c.moe);
        underPowerLaw.putAll(powerLaw);
        c.moeUnderPowerLaw.addAll(underPowerLaw.values());
        return c;
    }

    private static double d(String s) {
        return Double.parseDouble(s);
    }

    /** A compact table's rows: tab-separated words and numbers, no quoting (see {@link #compactTables}). */
    private static List<String[]> compact(String name) {
        List<String[]> out = new ArrayList<>();
        String resource = "calibration/" + name + ".tsv";
        try (InputStream in = Calibration.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) return out;
            String text = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            int at = 0;
            while (at < text.length()) {
                int end = text.indexOf('\n', at);
                if (end < 0) end = text.length();
                if (end > at && text.charAt(at) != '#') out.add(fields(text, at, end));
                at = end + 1;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + resource, e);
        }
        return out;
    }

    private static String[] fields(String text, int from, int to) {
        List<String> out = new ArrayList<>();
        int at = from;
        while (true) {
            int tab = text.indexOf('\t', at);
            if (tab < 0 || tab > to) {
                out.add(text.substring(at, to));
                return out.toArray(new String[0]);
            }
            out.add(text.substring(at, tab));
            at = tab + 1;
        }
    }


    /**
     * The compact tables the kernel model reads at run time, made from the sourced CSV files in
     * {@code dir} (which carry each row's source and notes): only the columns the model uses, and
     * of the collectives only those inside one node (NVSwitch, or a PCIe pair). A test keeps the committed
     * tables equal to what this writes.
     */
    public static Map<String, String> compactTables(java.nio.file.Path dir) throws IOException {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        String header = "# written by pdagc from %s.csv (sources and notes there); do not edit\n";
        StringBuilder g = new StringBuilder(String.format(header, "gemm")).append("# gpu\tdtype\tm\tn\tk\ttime_us\n");
        for (Map<String, String> r : csv(dir.resolve("gemm.csv"))) {
            if (r.get("time_us").isBlank()) continue;
            g.append(String.join("\t", r.get("gpu"), r.get("dtype"), r.get("m"), r.get("n"), r.get("k"), r.get("time_us"))).append('\n');
        }
        out.put("gemm", g.toString());
        StringBuilder a = new StringBuilder(String.format(header, "attention"))
                .append("# gpu\tphase\tdtype\tkv_dtype\tbatch\tq_len\tkv_len\tnum_heads\tnum_kv_heads\thead_dim\ttime_us\n");
        for (Map<String, String> r : csv(dir.resolve("attention.csv"))) {
            if (r.get("time_us").isBlank()) continue;
            a.append(String.join("\t", r.get("gpu"), r.get("phase"), r.get("dtype"), r.get("kv_dtype"), r.get("batch"), r.get("q_len"), r.get("kv_len"), r.get("num_heads"),
                    r.get("num_kv_heads"), r.get("head_dim"), r.get("time_us"))).append('\n');
        }
        out.put("attention", a.toString());
        StringBuilder c = new StringBuilder(String.format(header, "collectives")).append("# gpu\tkind\tranks\tbytes\ttime_us (one node)\n");
        for (Map<String, String> r : csv(dir.resolve("collectives.csv"))) {
            if (!r.get("interconnect").startsWith("one node")) continue;
            c.append(String.join("\t", r.get("gpu"), r.get("kind"), r.get("ranks"), r.get("bytes"), r.get("time_us"))).append('\n');
        }
        out.put("collectives", c.toString());
        StringBuilder m = new StringBuilder(String.format(header, "moe"))
                .append("# gpu\tdtype\ttokens\thidden\tinter\ttopk\texperts\ttp\tep\tdistribution\ttime_us\n");
        for (Map<String, String> r : csv(dir.resolve("moe.csv"))) {
            m.append(String.join("\t", r.get("gpu"), r.get("dtype"), r.get("tokens"), r.get("hidden"), r.get("inter"), r.get("topk"), r.get("experts"),
                    r.get("tp"), r.get("ep"), r.get("distribution"), r.get("time_us"))).append('\n');
        }
        out.put("moe", m.toString());
        return out;
    }

    private static List<Map<String, String>> csv(java.nio.file.Path file) throws IOException {
        List<Map<String, String>> out = new ArrayList<>();
        CsvSchema schema = CsvSchema.emptySchema().withHeader();
        try (MappingIterator<Map<String, String>> it = new CsvMapper().readerFor(Map.class).with(schema).readValues(file.toFile())) {
            while (it.hasNext()) out.add(it.next());
        }
        return out;
    }

    /** The element types whose measurements stand for {@code dtype}'s: 16-bit ones for each other; fp8 for fp8 only. */
    private static boolean sameClass(String measured, DType dtype) {
        return switch (dtype) {
            case BF16, FP16 -> measured.equals("bf16") || measured.equals("fp16");
            case FP8 -> measured.equals("fp8");
            case FP32 -> measured.equals("fp32");
        };
    }

    /** The roofline time of a product of [m, k] by [k, n] with the data sheet's peak and bandwidth, no efficiency. */
    static double gemmRoofline(double m, double n, double k, GpuSpec gpu, DType dtype) {
        double flops = 2 * m * n * k;
        double bytes = (m * k + m * n) * dtype.activationBytes() + k * n * dtype.bytes();
        return Math.max(flops / gpu.peakFlops(dtype), bytes / gpu.hbmBandwidth());
    }

    /** The efficiency of a product of [m, k] by [k, n] in {@code dtype}, from the nearest measured shapes; empty without measurements. */
    public OptionalDouble gemmEfficiency(double m, double n, double k, GpuSpec gpu, DType dtype) {
        // Layers repeat their shapes: each distinct question is answered once.
        String key = key("gemm", gpu, dtype).append(m).append('/').append(n).append('/').append(k).toString();
        OptionalDouble known = answers.get(key);
        if (known == null) answers.put(key, known = gemmEfficiencyUncached(m, n, k, gpu, dtype));
        return known;
    }

    private OptionalDouble gemmEfficiencyUncached(double m, double n, double k, GpuSpec gpu, DType dtype) {
        double lm = log2(m), ln = log2(n), lk = log2(k);
        Nearest best = new Nearest();
        for (Gemm g : gemms) {
            if (!sameClass(g.dtype(), dtype)) continue;
            double dm = lm - g.lm(), dn = ln - g.ln(), dk = lk - g.lk();
            best.offer(Math.sqrt(dm * dm + dn * dn + dk * dk), g);
        }
        return best.mean(g -> gemmRoofline(((Gemm) g).m(), ((Gemm) g).n(), ((Gemm) g).k(), gpu, dtype) / ((Gemm) g).seconds());
    }

    /**
     * The roofline time of {@code products} expert products of [rows, in] by [in, out] on each of
     * {@code active} experts ({@code rows} tokens each): their FLOPs at the peak, or the active
     * experts' weights and the tokens' inputs and outputs at the bandwidth.
     */
    static double expertRoofline(double active, double rows, double in, double out, double products, GpuSpec gpu, DType dtype) {
        double entries = active * rows;
        double flops = 2 * entries * in * out * products;
        double bytes = products * (active * in * out * dtype.bytes() + entries * (in + out) * dtype.activationBytes());
        return Math.max(flops / gpu.peakFlops(dtype), bytes / gpu.hbmBandwidth());
    }

    /** Whether the kind has fused MoE measurements of {@code dtype}'s class under the routing ({@code skewed}: power-law, else balanced). */
    public boolean hasMoe(DType dtype, boolean skewed) {
        for (MoeSeries m : skewed ? moeUnderPowerLaw : moe.values()) if (sameClass(m.dtype(), dtype)) return true;
        return false;
    }

    /**
     * The efficiency of an expert product of [in, out] over {@code entries} routed tokens on a rank
     * whose routing spreads them over {@code experts} experts, from the nearest measured fused MoE
     * layers of the same element class. The nearest series are those closest in log2 of the
     * product's two widths (smaller and larger, against the layer's hidden and per-rank
     * intermediate widths), of the experts and of the routed tokens per token of the layer
     * ({@code perToken}: top-k over the ranks the experts are split over, k / ep; a rank of a
     * top-8 layer over 32 ranks permutes and sums every token for a quarter of a routed token
     * each, a rank of top-2 over one rank for two, so layers alike in widths and experts per rank
     * run at different efficiencies); along each, the efficiency is interpolated in log2
     * of the routed tokens between the two measured counts around {@code entries} (the end's beyond
     * them); the answer is the median of the nearest series' (an exact series' own). A layer's efficiency is the roofline of its three products (gate, up, down) over its
     * measured time, which holds the routing, permutation and finalize kernels too. With
     * {@code skewed}, each layer's time under power-law routing where it was measured so and passed
     * {@link #consistent} (the busiest rank's, against the roofline of its balanced share), else its
     * balanced time. Empty without measurements.
     */
    public OptionalDouble moeEfficiency(double experts, double entries, double perToken, double in, double out, GpuSpec gpu, DType dtype, boolean skewed) {
        String key = key("moe", gpu, dtype).append(experts).append('/').append(entries).append('/').append(perToken).append('/').append(in).append('/')
                .append(out).append('/').append(skewed).toString();
        OptionalDouble known = answers.get(key);
        if (known == null) answers.put(key, known = moeEfficiencyUncached(experts, entries, perToken, in, out, gpu, dtype, skewed));
        return known;
    }

    private OptionalDouble moeEfficiencyUncached(double experts, double entries, double perToken, double in, double out, GpuSpec gpu, DType dtype,
            boolean skewed) {
        double small = log2(Math.min(in, out)), large = log2(Math.max(in, out));
        Nearest best = new Nearest();
        for (MoeSeries m : skewed ? moeUnderPowerLaw : moe.values()) {
            if (!sameClass(m.dtype(), dtype)) continue;
            double ms = log2(Math.min(m.hidden(), m.inter())), ml = log2(Math.max(m.hidden(), m.inter()));
            best.offer(distance(small - ms, large - ml, log2(experts) - log2(m.experts()), log2ratio(perToken) - log2ratio(m.perToken())), m);
        }
        double at = log2(entries);
        return best.median(x -> {
            MoeSeries m = (MoeSeries) x;
            double[] e = m.entries();
            if (entries <= e[0]) return m.efficiency(0, gpu, dtype);
            for (int i = 1; i < e.length; i++) {
                if (entries <= e[i]) {
                    double f = (at - log2(e[i - 1])) / (log2(e[i]) - log2(e[i - 1]));
                    return Math.exp((1 - f) * Math.log(m.efficiency(i - 1, gpu, dtype)) + f * Math.log(m.efficiency(i, gpu, dtype)));
                }
            }
            return m.efficiency(e.length - 1, gpu, dtype);
        });
    }

    /** The roofline time of a fused attention kernel: the causal pairs of both products, queries, keys, values and output moved once. */
    static double attentionRoofline(double batch, double q, double kv, double heads, double kvHeads, double headDim, GpuSpec gpu, DType dtype) {
        double[] work = attentionWork(batch, q, kv, heads, kvHeads, headDim, dtype);
        return Math.max(work[0] / gpu.peakFlops(dtype), work[1] / gpu.hbmBandwidth());
    }

    /** A fused attention kernel's FLOPs and HBM bytes: both products over the causal pairs; queries, keys, values and output once. */
    static double[] attentionWork(double batch, double q, double kv, double heads, double kvHeads, double headDim, DType dtype) {
        double pairs = q <= 1 || kv < q ? q * kv : q * kv - q * (q - 1) / 2;
        double flops = 4 * batch * heads * headDim * pairs;
        double bytes = batch * (2 * q * heads * headDim * dtype.activationBytes() + 2 * kv * kvHeads * headDim * dtype.bytes());
        return new double[] {flops, bytes};
    }

    /**
     * The efficiency of a fused attention kernel, from the nearest measured kernels of the same
     * phase and element type: by query length and batch in prefill, by batch and context in decode,
     * and in both by the head layout (query heads, query heads per key/value head, head size), in
     * log2 of each. A prefill kernel is matched by its arithmetic type; a decode kernel, which
     * streams the KV cache, by the cache's type (the workload's: an fp8 workload caches in fp8).
     */
    public OptionalDouble attentionEfficiency(boolean prefill, double batch, double q, double kv, double heads, double kvHeads, double headDim, GpuSpec gpu,
            DType dtype) {
        String key = key("attention", gpu, dtype).append(prefill).append('/').append(batch).append('/').append(q).append('/').append(kv).append('/')
                .append(heads).append('/').append(kvHeads).append('/').append(headDim).toString();
        OptionalDouble known = answers.get(key);
        if (known == null) answers.put(key, known = attentionEfficiencyUncached(prefill, batch, q, kv, heads, kvHeads, headDim, gpu, dtype));
        return known;
    }

    private OptionalDouble attentionEfficiencyUncached(boolean prefill, double batch, double q, double kv, double heads, double kvHeads, double headDim,
            GpuSpec gpu, DType dtype) {
        Nearest best = new Nearest();
        double group = heads / Math.max(1, kvHeads);
        for (Attention a : attention) {
            if (a.prefill() != prefill || !sameClass(prefill ? a.dtype() : a.kvDtype(), dtype)) continue;
            double dh = log2(heads) - log2(a.heads()), dg = log2(group) - log2(a.heads() / a.kvHeads()), dd = log2(headDim) - log2(a.headDim());
            double d = prefill ? distance(log2(q) - log2(a.q()), log2(batch) - log2(a.batch()), dh, dg, dd)
                    : distance(log2(batch) - log2(a.batch()), log2(kv) - log2(a.kv()), dh, dg, dd);
            best.offer(d, a);
        }
        return best.mean(x -> {
            Attention a = (Attention) x;
            return attentionRoofline(a.batch(), a.q(), a.kv(), a.heads(), a.kvHeads(), a.headDim(), gpu, dtype) / a.seconds();
        });
    }

    private volatile double[] decodeContexts;

    /** The contexts (key/value lengths) its decode attention kernels were measured at, ascending; empty without. */
    public double[] decodeContexts() {
        if (decodeContexts == null) {
            decodeContexts = attention.stream().filter(a -> !a.prefill()).mapToDouble(Attention::kv).distinct().sorted().toArray();
        }
        return decodeContexts;
    }

    /** The measured time of a collective of {@code kind} over {@code ranks} GPUs of one node on a buffer of {@code bytes}; empty without. */
    public OptionalDouble collectiveSeconds(CollectiveKind kind, int ranks, double bytes) {
        String name = switch (kind) {
            case ALL_REDUCE -> "all_reduce";
            case ALL_GATHER -> "all_gather";
            case REDUCE_SCATTER -> "reduce_scatter";
            case ALL_TO_ALL -> "alltoall";
            case SEND, RECV -> null;
        };
        List<Point> points = name == null ? null : collectives.get(name + "/" + ranks);
        if (points == null || points.size() < 2) return OptionalDouble.empty();
        Point first = points.get(0);
        if (bytes <= first.bytes()) return OptionalDouble.of(first.seconds());
        for (int i = 1; i < points.size(); i++) {
            Point a = points.get(i - 1), b = points.get(i);
            if (bytes <= b.bytes()) {
                double f = (Math.log(bytes) - Math.log(a.bytes())) / (Math.log(b.bytes()) - Math.log(a.bytes()));
                return OptionalDouble.of(Math.exp(Math.log(a.seconds()) + f * (Math.log(b.seconds()) - Math.log(a.seconds()))));
            }
        }
        Point last = points.get(points.size() - 1);
        return OptionalDouble.of(last.seconds() * bytes / last.bytes());
    }

    /** The {@value #NEIGHBOURS} nearest measurements seen, by distance. */
    private static final class Nearest {
        private final double[] distance = {Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE};
        private final Object[] item = new Object[NEIGHBOURS];

        void offer(double d, Object x) {
            int i = NEIGHBOURS - 1;
            if (d >= distance[i]) return;
            while (i > 0 && distance[i - 1] > d) {
                distance[i] = distance[i - 1];
                item[i] = item[i - 1];
                i--;
            }
            distance[i] = d;
            item[i] = x;
        }

        /**
         * The median of {@code value} over the nearest (an exact match's own; of two, their geometric mean): one odd
         * measurement among them (a kernel tactic that ran a series at a sixth of its neighbours' rate) does not pull the answer.
         */
        OptionalDouble median(java.util.function.ToDoubleFunction<Object> raw) {
            java.util.function.ToDoubleFunction<Object> value = x -> Math.min(1, raw.applyAsDouble(x));
            if (item[0] == null) return OptionalDouble.empty();
            if (distance[0] < 1e-9 || item[1] == null) return OptionalDouble.of(value.applyAsDouble(item[0]));
            if (item[2] == null) return OptionalDouble.of(Math.sqrt(value.applyAsDouble(item[0]) * value.applyAsDouble(item[1])));
            double[] v = {value.applyAsDouble(item[0]), value.applyAsDouble(item[1]), value.applyAsDouble(item[2])};
            java.util.Arrays.sort(v);
            return OptionalDouble.of(v[1]);
        }

        /**
         * The inverse-distance-weighted geometric mean of {@code value} over the nearest; an exact match's own value. An
         * efficiency above 1 (a kernel measured faster than the data sheet's roofline of its work: the benchmark's data
         * stayed in cache) counts as 1; the kernel model then bounds the time by the achievable bandwidth too.
         */
        OptionalDouble mean(java.util.function.ToDoubleFunction<Object> raw) {
            java.util.function.ToDoubleFunction<Object> value = x -> Math.min(1, raw.applyAsDouble(x));
            if (item[0] == null) return OptionalDouble.empty();
            if (distance[0] < 1e-9) return OptionalDouble.of(value.applyAsDouble(item[0]));
            double weights = 0, logs = 0;
            for (int i = 0; i < NEIGHBOURS && item[i] != null; i++) {
                double w = 1 / distance[i];
                weights += w;
                logs += w * Math.log(value.applyAsDouble(item[i]));
            }
            return OptionalDouble.of(Math.exp(logs / weights));
        }
    }

    private static double distance(double... d) {
        double s = 0;
        for (double x : d) s += x * x;
        return Math.sqrt(s);
    }

    /** log2 of a positive ratio, which may be under 1 (routed tokens per token over many ranks). */
    private static double log2ratio(double x) {
        return Math.log(Math.max(x, 1e-9)) / Math.log(2);
    }

    private static double log2(double x) {
        return Math.log(Math.max(x, 1)) / Math.log(2);
    }
}
