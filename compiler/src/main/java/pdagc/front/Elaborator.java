package pdagc.front;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import pdagc.ast.Decl;
import pdagc.ast.EntityKind;
import pdagc.ast.Expr;
import pdagc.ast.Property;
import pdagc.ast.QualifiedName;
import pdagc.diag.Diags;
import pdagc.diag.Diagnostics;
import pdagc.ir.DType;
import pdagc.mesh.Mesh;
import pdagc.mesh.MeshAxes;
import pdagc.mesh.Pipeline;
import pdagc.program.Module;
import pdagc.program.Names;
import pdagc.program.Program;
import pdagc.sem.BlockRef;
import pdagc.sem.ClusterSpec;
import pdagc.sem.Deployment;
import pdagc.sem.SearchSpec;
import pdagc.sem.GpuSpec;
import pdagc.sem.ModelSpec;
import pdagc.sem.Phase;
import pdagc.sem.Requirement;
import pdagc.sem.StrategySpec;
import pdagc.sem.WorkloadSpec;
import pdagc.source.Span;
import pdagc.units.Dimension;
import pdagc.units.Units;

/**
 * Resolves a deploy's names and reads its model, cluster, strategy and workload into checked,
 * typed specs. Reports every problem it finds, then {@link StrategyCheck} checks the combination.
 */
public final class Elaborator {
    /**
     * Every layer is instantiated in the IR, so an absurd layer count would exhaust memory instead
     * of failing with a message; the largest published models have a few hundred layers.
     */
    static final long MAX_LAYERS = 1024;

    private final Program program;
    private final Diagnostics diagnostics;

    public Elaborator(Program program, Diagnostics diagnostics) {
        this.program = program;
        this.diagnostics = diagnostics;
    }

    /** The deploys of the root file, in order. */
    public List<Decl.Deploy> deploys() {
        List<Decl.Deploy> out = new ArrayList<>();
        for (Decl d : program.root().declList()) if (d instanceof Decl.Deploy dep) out.add(dep);
        return out;
    }

    /** Checks every declaration of the root file that no deploy uses, so `check` sees them all. */
    public void checkUnused(List<Decl.Deploy> used) {
        java.util.Set<Decl> seen = identitySet();
        for (Decl.Deploy d : used) {
            for (QualifiedName n : List.of(d.model(), d.cluster(), d.strategy(), d.workload())) {
                program.candidates(program.root(), n).forEach(f -> seen.add(f.decl()));
            }
        }
        for (Decl.Search s : searches()) {
            for (QualifiedName n : List.of(s.model(), s.cluster(), s.workload())) {
                program.candidates(program.root(), n).forEach(f -> seen.add(f.decl()));
            }
        }
        for (Decl d : program.root().declList()) {
            // A block is checked where it is called; its declared shapes are checked here too,
            // so that one no deploy calls (a copy of `lm_head` that the default head, std's,
            // passes over) still has whole-number sizes.
            if (d instanceof Decl.Block b) {
                for (Decl.Param p : b.params()) for (Expr dim : p.shape()) IntEval.checkSize(dim, diagnostics);
                if (b.result() != null) for (Expr dim : b.result()) IntEval.checkSize(dim, diagnostics);
            }
            if (seen.contains(d) || !(d instanceof Decl.Entity e)) continue;
            Module m = program.root();
            switch (e.kind()) {
                case MODEL -> model(m, e);
                case CLUSTER -> cluster(m, e);
                case WORKLOAD -> workload(e);
                case STRATEGY -> strategy(e);
                case GPU -> gpu(m, e, null);
            }
        }
    }

    /**
     * The models a file describes, for {@code pdagc stats}: those the root file declares, or when
     * it declares none, those its deploys name (in order, each once).
     */
    public List<ModelSpec> rootModels() {
        Module root = program.root();
        List<ModelSpec> out = new ArrayList<>();
        for (Decl d : root.declList()) {
            if (d instanceof Decl.Entity e && e.kind() == EntityKind.MODEL) model(root, e).ifPresent(out::add);
        }
        if (!out.isEmpty()) return out;
        java.util.Set<Decl> seen = identitySet();
        for (Decl.Deploy d : deploys()) {
            Optional<Program.Found> f = entity(root, d.model(), EntityKind.MODEL);
            if (f.isPresent() && seen.add(f.get().decl())) model(f.get().module(), (Decl.Entity) f.get().decl()).ifPresent(out::add);
        }
        return out;
    }

    /**
     * A set of declarations by identity: a declaration is one node of the AST, and a record's own
     * hashCode and equals would walk its whole subtree (and bootstrap every record class on the way).
     */
    private static java.util.Set<Decl> identitySet() {
        return java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    }

    public Optional<Deployment> deployment(Decl.Deploy d) {
        Module root = program.root();
        Optional<ModelSpec> model = entity(root, d.model(), EntityKind.MODEL).flatMap(f -> model(f.module(), (Decl.Entity) f.decl()));
        Optional<ClusterSpec> cluster = entity(root, d.cluster(), EntityKind.CLUSTER).flatMap(f -> cluster(f.module(), (Decl.Entity) f.decl()));
        Optional<StrategySpec> strategy = entity(root, d.strategy(), EntityKind.STRATEGY).flatMap(f -> strategy((Decl.Entity) f.decl()));
        Optional<WorkloadSpec> workload = entity(root, d.workload(), EntityKind.WORKLOAD).flatMap(f -> workload((Decl.Entity) f.decl()));
        List<Requirement> requirements = requirements(d);
        Props extra = new Props("deploy " + d.name().text(), d.name().span(), d.properties(), diagnostics);
        extra.finish("a deploy's body holds requirements, such as `require ttft <= 10 s`");
        if (model.isEmpty() || cluster.isEmpty() || strategy.isEmpty() || workload.isEmpty()) return Optional.empty();
        Deployment dep = new Deployment(d.name().text(), model.get(), cluster.get(), strategy.get(), workload.get(), requirements, program, d.span());
        int before = diagnostics.errorReports();
        new StrategyCheck(dep, diagnostics, false).run();
        // A serving workload reads as its prefill step; its decode steps are checked too (the same
        // problems are reported once).
        WorkloadSpec.Serving serving = dep.workload().serving();
        if (serving != null && serving.decodeSteps() > 0) {
            new StrategyCheck(dep.forStep(dep.servingDecode(serving.lastContext())), diagnostics, true).run();
        }
        return diagnostics.errorReports() > before ? Optional.empty() : Optional.of(dep);
    }

    /** The search declarations of the root file, in order. */
    public List<Decl.Search> searches() {
        List<Decl.Search> out = new ArrayList<>();
        for (Decl d : program.root().declList()) if (d instanceof Decl.Search s) out.add(s);
        return out;
    }

    /** The strategy of that name declared in the root file, elaborated (empty, with diagnostics, when it is wrong; empty when absent). */
    public Optional<StrategySpec> strategyNamed(String name) {
        if (program.root().decls().get(name) instanceof Decl.Entity e && e.kind() == EntityKind.STRATEGY) return strategy(e);
        return Optional.empty();
    }

    /** A search declaration: its model, cluster and workload, requirements, and the choices of each knob. */
    public Optional<SearchSpec> search(Decl.Search s) {
        Module root = program.root();
        Optional<ModelSpec> model = entity(root, s.model(), EntityKind.MODEL).flatMap(f -> model(f.module(), (Decl.Entity) f.decl()));
        Optional<ClusterSpec> cluster = entity(root, s.cluster(), EntityKind.CLUSTER).flatMap(f -> cluster(f.module(), (Decl.Entity) f.decl()));
        Optional<WorkloadSpec> workload = entity(root, s.workload(), EntityKind.WORKLOAD).flatMap(f -> workload((Decl.Entity) f.decl()));
        List<Requirement> requirements = requirements(s.requirements());
        Props p = new Props("search " + s.name().text(), s.name().span(), s.properties(), diagnostics);
        Optional<SearchKnobs> knobs = SearchKnobs.read(p, diagnostics);
        p.finish();
        if (model.isEmpty() || cluster.isEmpty() || workload.isEmpty() || knobs.isEmpty() || batchKnobAtRate(p, workload.get())) return Optional.empty();
        if (interleaved(model.get())) return Optional.empty();
        return Optional.of(knobs.get().spec(s.name().text(), model.get(), cluster.get(), workload.get(), requirements, program, s.span()));
    }

    /**
     * The search of a deploy without a search declaration: its model, cluster, workload and
     * requirements, every knob free (its own strategy is only checked, not searched from).
     */
    public Optional<SearchSpec> searchOf(Decl.Deploy d) {
        Optional<Deployment> dep = deployment(d);
        if (dep.isEmpty()) return Optional.empty();
        Deployment x = dep.get();
        if (interleaved(x.model())) return Optional.empty();
        return Optional.of(SearchKnobs.every().spec(d.name().text(), x.model(), x.cluster(), x.workload(), x.requirements(), program, d.span()));
    }

    /**
     * A model whose MoE layers are interleaved with dense ones ({@code moe_every} above 1): the
     * search's estimate profiles one dense and one MoE layer in sequence and does not mix them
     * along a stage yet (E0306 reported).
     */
    private boolean interleaved(ModelSpec m) {
        if (m.moeEvery() <= 1) return false;
        diagnostics.add(Diags.searchInterleavedMoe(m.spanOf("moe_every")));
        return true;
    }

    /** A search at a request rate that names a knob of the batch, which the rate decides (E0220 reported for each). */
    private boolean batchKnobAtRate(Props knobs, WorkloadSpec w) {
        if (!w.atRate()) return false;
        boolean any = false;
        for (String knob : List.of("batch", "micro_batch")) {
            if (!knobs.has(knob)) continue;
            diagnostics.add(Diags.searchAtRate(knobs.spanOf(knob), knob, w.spanOf("rate"), w.name()));
            any = true;
        }
        return any;
    }

    /**
     * Checks a strategy for its model, cluster and workload by the rules of {@code check} (the
     * decode step of a serving workload too), reporting into {@code into}; the search's legality.
     */
    public static void checkStrategy(Deployment dep, Diagnostics into) {
        new StrategyCheck(dep, into, false).run();
        WorkloadSpec.Serving serving = dep.workload().serving();
        if (serving != null && serving.decodeSteps() > 0) {
            new StrategyCheck(dep.forStep(dep.servingDecode(serving.lastContext())), into, true).run();
        }
    }

    private Optional<Program.Found> entity(Module from, QualifiedName name, EntityKind kind) {
        return program.lookup(from, name, kind.keyword(), diagnostics);
    }

    Optional<ModelSpec> model(Module module, Decl.Entity e) {
        Props p = new Props("model " + e.nameText(), e.name().span(), e.properties(), diagnostics);
        boolean ok = true;
        ok &= p.integer("vocab", null, 1).isPresent();
        ok &= p.integer("hidden", null, 1).isPresent();
        OptionalLong heads = p.integer("heads", null, 1);
        ok &= heads.isPresent();
        ok &= p.integer("kv_heads", heads.isPresent() ? heads.getAsLong() : 1L, 1).isPresent();
        Long defaultHeadDim = null;
        Map<String, Long> ints = p.ints();
        if (ints.containsKey("hidden") && ints.containsKey("heads")) {
            long h = ints.get("hidden");
            long a = ints.get("heads");
            defaultHeadDim = h % a == 0 ? h / a : null;
            if (defaultHeadDim == null && p.get("head_dim").isEmpty()) {
                diagnostics.add(Diags.headsNotDividingHidden(p.spanOf("heads"), p.spanOf("hidden"), h, a));
                ok = false;
            }
        }
        ok &= p.integer("head_dim", defaultHeadDim == null ? 1L : defaultHeadDim, 1).isPresent();
        OptionalLong layers = p.integer("layers", null, 1);
        ok &= layers.isPresent();
        if (layers.isPresent() && layers.getAsLong() > MAX_LAYERS) {
            diagnostics.add(Diags.tooManyLayers(p.spanOf("layers"), MAX_LAYERS, layers.getAsLong()));
            ok = false;
        }
        OptionalLong ffn = p.integer("ffn", null, 1);
        ok &= ffn.isPresent();
        OptionalLong experts = p.integer("experts", 0L, 0);
        ok &= experts.isPresent();
        boolean moe = experts.orElse(0) > 0;
        ok &= p.integer("top", moe ? null : 0L, moe ? 1 : 0).isPresent();
        ok &= p.integer("expert_ffn", ffn.isPresent() ? ffn.getAsLong() : 1L, 1).isPresent();
        ok &= p.integer("first_dense", 0L, 0).isPresent();
        ok &= p.integer("moe_every", 1L, 1).isPresent();
        ok &= p.integer("shared_ffn", 0L, 0).isPresent();
        ok &= p.integer("positions", 0L, 0).isPresent();
        ok &= p.integer("q_lora_rank", 0L, 0).isPresent();
        ok &= p.integer("kv_lora_rank", 0L, 0).isPresent();
        ok &= p.integer("qk_nope_dim", 0L, 0).isPresent();
        ok &= p.integer("qk_rope_dim", 0L, 0).isPresent();
        ok &= p.integer("v_head_dim", 0L, 0).isPresent();
        OptionalLong mtp = p.integer("mtp", 0L, 0);
        ok &= mtp.isPresent();
        Optional<String> norm = p.choice("norm", pdagc.ir.NormType.names(), "rmsnorm");
        Optional<String> act = p.choice("act", pdagc.ir.UnaryFn.activations(), "gelu");
        // The probability that a block's `dropout` drops an element in a training step (Megatron's hidden and attention dropout).
        Optional<Double> dropout = p.probability("dropout", 0.0);
        Optional<BlockRef> embed = block(module, p, "embed", "std.blocks.embedding");
        Optional<BlockRef> layer = block(module, p, "layer", moe ? "std.blocks.moe_layer" : "std.blocks.dense_layer");
        Optional<BlockRef> dense = block(module, p, "dense_layer", "std.blocks.dense_layer");
        Optional<BlockRef> head = block(module, p, "head", "std.blocks.lm_head");
        Optional<BlockRef> mtpLayer = Optional.empty();
        boolean mtpOk = true;
        if (mtp.orElse(0) > 0 || p.get("mtp_layer").isPresent()) {
            Optional<QualifiedName> ref = p.reference("mtp_layer", mtp.orElse(0) > 0);
            mtpLayer = ref.flatMap(r -> program.lookup(module, r, "block", diagnostics)).map(f -> new BlockRef(f.module(), (Decl.Block) f.decl()));
            mtpOk = mtpLayer.isPresent();
        }
        p.finish();
        if (ok && moe && ints.get("top") > ints.get("experts")) {
            diagnostics.add(Diags.topExceedsExperts(p.spanOf("top"), p.spanOf("experts"), ints.get("top"), ints.get("experts")));
            ok = false;
        }
        if (ok && ints.get("heads") % ints.get("kv_heads") != 0) {
            diagnostics.add(Diags.kvHeadsNotDividingHeads(p.spanOf("kv_heads"), p.spanOf("heads"), ints.get("heads"), ints.get("kv_heads")));
            ok = false;
        }
        if (ok && ints.get("moe_every") > 1 && !moe) {
            diagnostics.add(Diags.moeEveryWithoutExperts(p.spanOf("moe_every"), ints.get("moe_every")));
            ok = false;
        }
        if (ok && ints.get("first_dense") > ints.get("layers")) {
            diagnostics.add(Diags.firstDenseExceedsLayers(p.spanOf("first_dense"), p.spanOf("layers"), ints.get("layers")));
            ok = false;
        }
        if (!ok || !mtpOk || norm.isEmpty() || act.isEmpty() || dropout.isEmpty() || embed.isEmpty() || layer.isEmpty() || dense.isEmpty()
                || head.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new ModelSpec(e.nameText(), Map.copyOf(ints), norm.get(), act.get(), embed.get(), layer.get(),
                dense.get(), head.get(), p.spans(), e.name().span(), mtpLayer.orElse(null), dropout.get()));
    }

    private Optional<BlockRef> block(Module module, Props p, String property, String dflt) {
        Optional<QualifiedName> ref = p.reference(property, false);
        QualifiedName name = ref.orElseGet(() -> new QualifiedName(p.spanOf(property), List.of(dflt.split("\\."))));
        if (ref.isEmpty() && p.get(property).isPresent()) return Optional.empty();
        return program.lookup(module, name, "block", diagnostics).map(f -> new BlockRef(f.module(), (Decl.Block) f.decl()));
    }

    Optional<ClusterSpec> cluster(Module module, Decl.Entity e) {
        Props p = new Props("cluster " + e.nameText(), e.name().span(), e.properties(), diagnostics);
        Optional<GpuSpec> gpu = Optional.empty();
        Optional<Property> gpuProp = p.get("gpu");
        List<Property> overrides = p.nested("gpu");
        if (gpuProp.isEmpty()) {
            p.reference("gpu", true);
        } else if (gpuProp.get().value() instanceof Expr.Name n) {
            gpu = program.lookup(module, n.name(), "gpu", diagnostics).flatMap(f -> gpu(f.module(), (Decl.Entity) f.decl(), overrides));
        } else {
            p.reference("gpu", true);
        }
        OptionalLong count = p.integer("count", null, 1);
        OptionalLong perNode = p.integer("per_node", 8L, 1);
        Optional<Double> network = p.quantity("network", Dimension.BYTES_PER_SECOND, 400e9 / 8);
        Optional<Double> nvLat = p.quantity("nvlink_latency", Dimension.SECONDS, 3e-6);
        Optional<Double> netLat = p.quantity("network_latency", Dimension.SECONDS, 10e-6);
        p.finish();
        if (gpu.isEmpty() || count.isEmpty() || perNode.isEmpty() || network.isEmpty() || nvLat.isEmpty() || netLat.isEmpty()) {
            return Optional.empty();
        }
        if (count.getAsLong() > 1 << 24) {
            diagnostics.add(Diags.tooManyGpus(p.spanOf("count"), 1 << 24));
            return Optional.empty();
        }
        return Optional.of(new ClusterSpec(e.nameText(), gpu.get(), (int) count.getAsLong(), (int) Math.min(perNode.getAsLong(), 1 << 24),
                network.get(), nvLat.get(), netLat.get(), p.spans(), e.name().span()));
    }

    /** A GPU declaration, with the overrides of a cluster's {@code gpu H100 { memory 64 GB }}. */
    Optional<GpuSpec> gpu(Module module, Decl.Entity e, List<Property> overrides) {
        List<Property> merged = new ArrayList<>();
        Map<String, Property> over = new LinkedHashMap<>();
        if (overrides != null) for (Property o : overrides) over.put(o.name().text(), o);
        for (Property base : e.properties()) if (!over.containsKey(base.name().text())) merged.add(base);
        if (overrides != null) merged.addAll(overrides);
        Props p = new Props("gpu " + e.nameText(), e.name().span(), merged, diagnostics);
        Optional<Double> compute = p.quantity("compute", Dimension.FLOPS_PER_SECOND, null);
        Optional<Double> fp8 = p.quantity("fp8_compute", Dimension.FLOPS_PER_SECOND, Double.MIN_VALUE);
        Optional<Double> fp32 = p.quantity("fp32_compute", Dimension.FLOPS_PER_SECOND, Double.MIN_VALUE);
        Optional<Double> sm80 = p.quantity("sm80_compute", Dimension.FLOPS_PER_SECOND, Double.MIN_VALUE);
        OptionalLong sms = p.integer("multiprocessors", 0L, 0);
        Optional<Double> kernel = p.quantity("kernel_overhead", Dimension.SECONDS, GpuSpec.KERNEL_OVERHEAD);
        Optional<Double> launch = p.quantity("launch_overhead", Dimension.SECONDS, GpuSpec.LAUNCH_OVERHEAD);
        // The kind whose microbenchmarks stand in: another gpu declaration (its data sheet is what its measurements are read against).
        Optional<QualifiedName> measuredRef = p.reference("measurements", false);
        Optional<GpuSpec> measured = Optional.empty();
        boolean measuredOk = true;
        if (measuredRef.isPresent()) {
            measured = program.lookup(module, measuredRef.get(), "gpu", diagnostics).flatMap(f -> f.decl() == e ? Optional.empty()
                    : gpu(f.module(), (Decl.Entity) f.decl(), null));
            measuredOk = measured.isPresent();
        }
        Optional<Double> memory = p.quantity("memory", Dimension.BYTES, null);
        Optional<Double> bandwidth = p.quantity("bandwidth", Dimension.BYTES_PER_SECOND, null);
        Optional<Double> l2 = p.quantity("l2_bandwidth", Dimension.BYTES_PER_SECOND, 0.0);
        // The link between GPUs of a node: NVLink, or for a GPU without it, PCIe (both directions, as data sheets give them).
        Optional<Double> nvlink = p.has("nvlink") ? p.quantity("nvlink", Dimension.BYTES_PER_SECOND, null) : Optional.of(0.0);
        Optional<Double> pcie = p.quantity("pcie", Dimension.BYTES_PER_SECOND, 0.0);
        if (!p.has("nvlink")) {
            p.get("nvlink");
            if (!p.has("pcie")) {
                diagnostics.add(Diags.missingProperty(e.name().span(), "gpu", e.nameText(), "nvlink")
                        .help("a GPU without NVLink states its PCIe link instead, both directions: `pcie 64 GB/s`"));
                nvlink = Optional.empty();
            }
        }
        Optional<Double> ce = p.fraction("compute_efficiency", 0.8);
        Optional<Double> be = p.fraction("bandwidth_efficiency", 0.9);
        p.finish();
        if (compute.isEmpty() || memory.isEmpty() || bandwidth.isEmpty() || nvlink.isEmpty() || pcie.isEmpty() || ce.isEmpty() || be.isEmpty() || fp8.isEmpty()
                || fp32.isEmpty() || sm80.isEmpty() || l2.isEmpty() || sms.isEmpty() || kernel.isEmpty() || launch.isEmpty() || !measuredOk) {
            return Optional.empty();
        }
        // Absent: no fp8 tensor cores (fp8 runs at the 16-bit rate); fp32 products at the TF32 rate, half the 16-bit one on every
        // NVIDIA GPU since Ampere.
        double f8 = fp8.get() == Double.MIN_VALUE ? 0 : fp8.get();
        double f32 = fp32.get() == Double.MIN_VALUE ? compute.get() / 2 : fp32.get();
        // Absent: kernels built for SM 80 run at the GPU's own 16-bit rate (Ampere's and Ada's tensor instructions are theirs).
        double s80 = sm80.get() == Double.MIN_VALUE ? compute.get() : sm80.get();
        if (s80 > compute.get()) {
            diagnostics.add(Diags.sm80AboveCompute(p.spanOf("sm80_compute"), tflops(s80), tflops(compute.get())));
            return Optional.empty();
        }
        if (l2.get() > 0 && l2.get() < bandwidth.get() * be.get() * (1 - 1e-9)) {
            diagnostics.add(Diags.l2BelowHbm(p.spanOf("l2_bandwidth"), gbps(l2.get()), gbps(bandwidth.get() * be.get())));
            return Optional.empty();
        }
        if (measured.isPresent()) anotherChip(p.spanOf("measurements"), measured.get(), sms.getAsLong(), compute.get(), f8);
        return Optional.of(new GpuSpec(e.nameText(), compute.get(), f8, f32, s80, (int) Math.min(sms.getAsLong(), 1 << 20), memory.get(), bandwidth.get(), l2.get(),
                nvlink.get(), pcie.get(), ce.get(), be.get(), kernel.get(), launch.get(), measured.orElse(null), e.name().span()));
    }

    /**
     * A kind borrows another's microbenchmarks as efficiencies against the lender's data sheet, which
     * holds for the same chip: warns (W0220) where the lender's multiprocessors or tensor rates differ.
     */
    private void anotherChip(Span at, GpuSpec lender, long sms, double compute, double fp8) {
        List<String> differ = new ArrayList<>();
        if (lender.multiprocessors() != sms) differ.add(sms + " multiprocessors against " + lender.multiprocessors());
        if (lender.peakFlops() != compute) differ.add(tflops(compute) + " against " + tflops(lender.peakFlops()));
        if (lender.fp8Flops() != fp8) {
            differ.add((fp8 > 0 ? tflops(fp8) : "no") + " fp8 against " + (lender.fp8Flops() > 0 ? tflops(lender.fp8Flops()) : "none"));
        }
        if (!differ.isEmpty()) diagnostics.add(Diags.measurementsOfAnotherChip(at, lender.name(), String.join(", ", differ)));
    }

    /** A tensor rate as a data sheet writes it: {@code 362.05 TFLOP/s}. */
    private static String tflops(double flopsPerSecond) {
        return sheet(flopsPerSecond / 1e12, "TFLOP/s");
    }

    /** A bandwidth as a data sheet writes it: {@code 3015 GB/s}. */
    private static String gbps(double bytesPerSecond) {
        return sheet(bytesPerSecond / 1e9, "GB/s");
    }

    /** {@code value} to six significant digits, without trailing zeros, and its unit. */
    private static String sheet(double value, String unit) {
        return new java.math.BigDecimal(value).round(new java.math.MathContext(6)).stripTrailingZeros().toPlainString() + " " + unit;
    }

    Optional<WorkloadSpec> workload(Decl.Entity e) {
        Props p = new Props("workload " + e.nameText(), e.name().span(), e.properties(), diagnostics);
        if (p.has("input") || p.has("output")) return serving(e, p);
        OptionalLong batch = p.integer("batch", null, 1);
        Optional<String> phase = p.choice("phase", List.of("prefill", "decode", "train"), "prefill");
        boolean decode = phase.map("decode"::equals).orElse(false);
        boolean train = phase.map("train"::equals).orElse(false);
        // The optimizer of a training step (AdamW is the one modelled).
        Optional<String> optimizer = p.choice("optimizer", List.of("adam"), "adam");
        OptionalLong seq = p.integer("seq", decode ? 1L : null, 1);
        if (decode) p.get("seq").ifPresent(s -> diagnostics.add(Diags.seqIgnoredInDecode(s.span(), p.spanOf("phase"))));
        OptionalLong context = p.integer("context", decode ? null : seq.orElse(1), 1);
        if (!decode && p.has("context") && seq.isPresent() && context.isPresent()) {
            // A training step keeps no KV cache: its attention reads its own tokens. A prefill step's context counts them too.
            if (train && context.getAsLong() != seq.getAsLong()) {
                diagnostics.add(Diags.contextInTraining(p.spanOf("context"), seq.getAsLong()));
                context = OptionalLong.empty();
            } else if (context.getAsLong() < seq.getAsLong()) {
                diagnostics.add(Diags.contextBelowSeq(p.spanOf("context"), context.getAsLong(), seq.getAsLong(), p.spanOf("seq")));
                context = OptionalLong.empty();
            }
        }
        Optional<pdagc.ir.Precision> dtype = precision(p, "workload " + e.nameText());
        Phase ph = decode ? Phase.DECODE : train ? Phase.TRAIN : Phase.PREFILL;
        Optional<pdagc.sem.Execution> execution = execution(p, ph);
        // Known, for the list an unknown property is shown with; neither is given here.
        p.get("input");
        p.get("output");
        p.finish();
        if (batch.isEmpty() || phase.isEmpty() || seq.isEmpty() || context.isEmpty() || dtype.isEmpty() || execution.isEmpty() || optimizer.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new WorkloadSpec(e.nameText(), batch.getAsLong(), seq.getAsLong(), ph, context.getAsLong(), execution.get(), p.spans(),
                e.name().span(), null, dtype.get()));
    }

    /**
     * How the engine runs the kernels ({@code kernels}, {@code cuda_graphs}, {@code decode_attention},
     * {@code expert_kernels}) and how the tokens route ({@code routing}): fused unless said otherwise;
     * CUDA graphs as given, else the default of {@code phase}; decode attention reading each key/value
     * head once per group of query heads unless said otherwise; the experts on the GPU's own kernels
     * unless said otherwise (or on kernels built for SM 80); tokens spread evenly over the experts
     * unless said otherwise (or all to the same experts, or skewed as a power law).
     */
    private static Optional<pdagc.sem.Execution> execution(Props p, Phase phase) {
        String phaseDefault = "the phase's default";
        Optional<String> kernels = p.choice("kernels", List.of("fused", "unfused", "unfused_attention"), "fused");
        Optional<String> graphs = p.choice("cuda_graphs", List.of("true", "false"), phaseDefault);
        Optional<String> decodeAttention = p.choice("decode_attention", List.of("grouped", "per_query_head"), "grouped");
        Optional<String> routing = p.choice("routing", pdagc.sem.Execution.Routing.keywords(), "balanced");
        Optional<String> experts = p.choice("expert_kernels", List.of("native", "sm80"), "native");
        if (kernels.isEmpty() || graphs.isEmpty() || decodeAttention.isEmpty() || routing.isEmpty() || experts.isEmpty()) return Optional.empty();
        Boolean given = graphs.get().equals(phaseDefault) ? null : graphs.get().equals("true");
        return Optional.of(pdagc.sem.Execution.of(!kernels.get().equals("unfused"), kernels.get().equals("fused"), given, phase)
                .withKvPerQueryHead(decodeAttention.get().equals("per_query_head")).withRouting(pdagc.sem.Execution.Routing.of(routing.get()))
                .withSm80Experts(experts.get().equals("sm80")));
    }

    private static final List<String> DTYPES = List.of("bf16", "fp16", "fp32", "fp8");

    /**
     * A workload's {@code dtype} (bf16 unless given) with the types of the model's parts that
     * differ, nested in it: {@code dtype fp8 { experts fp16 }} runs the expert products in fp16
     * and the rest in fp8; {@code dtype fp8 { vocabulary fp8 }} quantizes the embedding and head
     * blocks too. The experts not given take {@code dtype}; the vocabulary's parts not given take
     * {@link pdagc.ir.Precision#vocabularyDefault} (16 bits under fp8).
     */
    private Optional<pdagc.ir.Precision> precision(Props p, String owner) {
        Optional<String> dtype = p.choice("dtype", DTYPES, "bf16");
        Props parts = new Props("`dtype` of " + owner, p.spanOf("dtype"), p.nested("dtype"), diagnostics);
        Optional<String> experts = parts.choice("experts", DTYPES, dtype.orElse("bf16"));
        String vocabularyDefault = pdagc.ir.Precision.vocabularyDefault(dtypeOf(dtype.orElse("bf16"))).keyword();
        Optional<String> vocabulary = parts.choice("vocabulary", DTYPES, vocabularyDefault);
        parts.finish();
        if (dtype.isEmpty() || experts.isEmpty() || vocabulary.isEmpty()) return Optional.empty();
        return Optional.of(new pdagc.ir.Precision(dtypeOf(dtype.get()), dtypeOf(experts.get()), dtypeOf(vocabulary.get())));
    }

    private static DType dtypeOf(String keyword) {
        return DType.valueOf(keyword.toUpperCase(java.util.Locale.ROOT));
    }

    /**
     * A serving workload: {@code batch}, {@code input} and {@code output} (and {@code dtype}); the
     * properties of a single step ({@code seq}, {@code phase}, {@code context}) do not go with it.
     * At a {@code rate}, the run pdagc simulates: {@code requests} (at most
     * {@link pdagc.analysis.ServingSimulation#mostRequests}, E0206 beyond), {@code max_batch},
     * {@code token_budget}, {@code chunked_prefill}; any of them without a rate is E0221.
     * As a workload it reads as its prefill step (see {@link WorkloadSpec}).
     */
    private Optional<WorkloadSpec> serving(Decl.Entity e, Props p) {
        boolean ok = true;
        Span servingAt = p.has("input") ? p.spanOf("input") : p.spanOf("output");
        boolean rated = p.has("rate");
        Optional<Double> rate = p.quantity("rate", pdagc.units.Dimension.REQUESTS_PER_SECOND, 0.0);
        if (rated && p.has("batch")) {
            diagnostics.add(Diags.batchAndRate(p.spanOf("batch"), p.spanOf("rate")));
            ok = false;
        }
        OptionalLong batch = p.integer("batch", rated ? 1L : null, 1);
        for (String run : List.of("requests", "max_batch", "token_budget", "chunked_prefill")) {
            if (p.has(run) && !rated) {
                diagnostics.add(Diags.runPropertyWithoutRate(p.spanOf(run), run, e.nameText()));
                ok = false;
            }
        }
        OptionalLong requests = p.integer("requests", 0L, 1);
        OptionalLong maxBatch = p.integer("max_batch", 0L, 1);
        OptionalLong tokenBudget = p.integer("token_budget", pdagc.analysis.ServingSimulation.TOKEN_BUDGET, 1);
        Optional<String> chunked = p.choice("chunked_prefill", List.of("false", "true"), "false");
        for (String step : List.of("phase", "seq", "context")) {
            if (p.get(step).isPresent()) {
                diagnostics.add(Diags.servingWithStepProperty(p.spanOf(step), step, servingAt));
                ok = false;
            }
        }
        OptionalLong input = OptionalLong.empty();
        if (p.get("input").isEmpty()) {
            diagnostics.add(Diags.outputWithoutInput(p.spanOf("output")));
        } else {
            input = length(p, "input");
        }
        OptionalLong output = length(p, "output");
        Optional<pdagc.ir.Precision> dtype = precision(p, "workload " + e.nameText());
        Optional<pdagc.sem.Execution> execution = execution(p, Phase.PREFILL);
        p.finish();
        if (!ok || batch.isEmpty() || requests.isEmpty() || maxBatch.isEmpty() || tokenBudget.isEmpty() || chunked.isEmpty() || rate.isEmpty()
                || input.isEmpty() || output.isEmpty() || dtype.isEmpty() || execution.isEmpty()) {
            return Optional.empty();
        }
        long in = input.getAsLong(), out = output.getAsLong();
        if (in > Long.MAX_VALUE - out) {
            diagnostics.add(Diags.arithmeticOverflow(p.spanOf("output"), "input + output"));
            return Optional.empty();
        }
        long sent = requests.getAsLong();
        long most = pdagc.analysis.ServingSimulation.mostRequests(out);
        if (sent > most) {
            diagnostics.add(Diags.valueTooLarge(p.get("requests").map(x -> x.value() == null ? x.span() : x.value().span()).orElse(p.spanOf("requests")),
                    "requests", most, sent, String.format(java.util.Locale.ROOT, "pdagc simulates the run token by token, at most %,d tokens of output in all "
                            + "(%,d requests of %,d); a run's means and percentiles settle long before", pdagc.analysis.ServingSimulation.TOKEN_STEPS, most, out)));
            return Optional.empty();
        }
        if (sent == 0) sent = Math.min(pdagc.analysis.ServingSimulation.DEFAULT_REQUESTS, most);
        return Optional.of(new WorkloadSpec(e.nameText(), batch.getAsLong(), in, Phase.PREFILL, in, execution.get(), p.spans(), e.name().span(),
                new WorkloadSpec.Serving(in, out, rate.get(), rated ? sent : 0, maxBatch.getAsLong(), tokenBudget.getAsLong(),
                chunked.get().equals("true")), dtype.get()));
    }

    /** A serving length: a whole number of tokens, at least 1 (zero is E0218, negative E0206). */
    private OptionalLong length(Props p, String name) {
        OptionalLong v = p.integer(name, null, 0);
        if (v.isPresent() && v.getAsLong() == 0) {
            diagnostics.add(Diags.servingLengthZero(p.get(name).map(x -> x.value() == null ? x.span() : x.value().span()).orElse(p.spanOf(name)), name));
            return OptionalLong.empty();
        }
        return v;
    }

    Optional<StrategySpec> strategy(Decl.Entity e) {
        Props p = new Props("strategy " + e.nameText(), e.name().span(), e.properties(), diagnostics);
        Optional<Property> meshProp = p.get("mesh");
        OptionalLong micro = p.integer("micro_batches", 1L, 1);
        Optional<String> schedule = p.choice("schedule", List.of("gpipe", "1f1b", "interleaved"), "gpipe");
        OptionalLong virtual = p.integer("virtual_stages", 1L, 1);
        Optional<List<Long>> stageLayers = intList(p, "stage_layers");
        Optional<String> sp = p.choice("sequence_parallel", List.of("true", "false"), "false");
        Optional<Property> expertProp = p.get("expert_mesh");
        OptionalLong zero = p.integer("zero", 0L, 0);
        Optional<String> recompute = p.choice("recompute", List.of("none", "selective", "full"), "none");
        Optional<String> overlapGrad = p.choice("overlap_grad_reduce", List.of("true", "false"), "false");
        p.finish();
        if (micro.isEmpty() || schedule.isEmpty() || virtual.isEmpty() || stageLayers == null || sp.isEmpty() || zero.isEmpty()
                || recompute.isEmpty() || overlapGrad.isEmpty()) {
            return Optional.empty();
        }
        if (zero.getAsLong() > 3) {
            diagnostics.add(Diags.zeroStage(p.spanOf("zero"), zero.getAsLong()));
            return Optional.empty();
        }
        pdagc.sem.Training training = new pdagc.sem.Training((int) zero.getAsLong(),
                pdagc.sem.Training.Recompute.valueOf(recompute.get().toUpperCase(java.util.Locale.ROOT)), overlapGrad.get().equals("true"));
        Mesh expertMesh = null;
        Map<String, Span> spans = new LinkedHashMap<>();
        if (expertProp.isPresent()) {
            Optional<Mesh> em = mesh(expertProp.get(), MeshAxes.EXPERT, spans);
            if (em.isEmpty()) return Optional.empty();
            expertMesh = em.get();
        }
        if (meshProp.isEmpty()) {
            p.reference("mesh", true);
            return Optional.empty();
        }
        Optional<Mesh> mesh = mesh(meshProp.get(), MeshAxes.KNOWN, spans);
        if (mesh.isEmpty()) return Optional.empty();
        Pipeline.Schedule sched = switch (schedule.get()) {
            case "1f1b" -> Pipeline.Schedule.ONE_F_ONE_B;
            case "interleaved" -> Pipeline.Schedule.INTERLEAVED;
            default -> Pipeline.Schedule.GPIPE;
        };
        Pipeline pipeline = new Pipeline(mesh.get().size(MeshAxes.PP), (int) Math.min(virtual.getAsLong(), 1 << 20),
                (int) Math.min(micro.getAsLong(), 1 << 20), sched);
        Span meshSpan = meshProp.get().value().span();
        return Optional.of(new StrategySpec(e.nameText(), mesh.get(), expertMesh, sp.get().equals("true"), pipeline, stageLayers.orElse(null),
                spans, p.spans(), meshSpan, e.name().span(), training));
    }

    /** A mesh literal whose axes are among {@code allowed}; axis spans go into {@code spans}. */
    private Optional<Mesh> mesh(Property prop, List<String> allowed, Map<String, Span> spans) {
        if (!(prop.value() instanceof Expr.Mesh m)) {
            Expr v = prop.value();
            Span at = v != null ? v.span() : prop.span();
            diagnostics.add(Diags.notAMesh(at, Optional.ofNullable(v).map(IntEval::describe)));
            return Optional.empty();
        }
        List<Mesh.Axis> axes = new ArrayList<>();
        Map<String, Span> own = new LinkedHashMap<>();
        boolean ok = true;
        long product = 1;
        for (Expr.Axis a : m.axes()) {
            String name = a.name().text();
            if (!allowed.contains(name)) {
                diagnostics.add(Diags.unknownAxis(a.name().span(), name, allowed, Names.suggest(name, allowed)));
                ok = false;
                continue;
            }
            if (own.containsKey(name)) {
                diagnostics.add(Diags.axisTwice(a.name().span(), name, own.get(name)));
                ok = false;
                continue;
            }
            OptionalLong size = new IntEval(Map.of(), diagnostics).eval(a.size());
            if (size.isEmpty()) {
                ok = false;
                continue;
            }
            if (size.getAsLong() < 1 || size.getAsLong() > 1 << 24) {
                diagnostics.add(Diags.axisSizeOutOfRange(a.size().span(), name, 1 << 24, size.getAsLong()));
                ok = false;
                continue;
            }
            product *= size.getAsLong();
            if (product > 1 << 24) {
                diagnostics.add(Diags.meshTooLarge(m.span(), 1 << 24));
                return Optional.empty();
            }
            own.put(name, a.span());
            axes.add(new Mesh.Axis(name, (int) size.getAsLong()));
        }
        if (!ok) return Optional.empty();
        own.forEach(spans::putIfAbsent);
        return Optional.of(new Mesh(axes));
    }

    /** A list of whole numbers such as {@code [10, 11, 11]}; empty when absent, null after an error. */
    private Optional<List<Long>> intList(Props p, String name) {
        Optional<Property> prop = p.get(name);
        if (prop.isEmpty()) return Optional.empty();
        Expr value = prop.get().value();
        if (!(value instanceof Expr.ListExpr list)) {
            diagnostics.add(Diags.notAList(value == null ? prop.get().span() : value.span(), Optional.ofNullable(value).map(IntEval::describe)));
            return null;
        }
        List<Long> out = new ArrayList<>();
        for (Expr item : list.items()) {
            OptionalLong v = new IntEval(Map.of(), diagnostics).eval(item);
            if (v.isEmpty()) return null;
            out.add(v.getAsLong());
        }
        return Optional.of(List.copyOf(out));
    }

    private List<Requirement> requirements(Decl.Deploy d) {
        return requirements(d.requirements());
    }

    private List<Requirement> requirements(List<Decl.Requirement> written) {
        List<Requirement> out = new ArrayList<>();
        for (Decl.Requirement r : written) {
            String metric = r.metric().text();
            Dimension dim = switch (metric) {
                case "memory" -> Dimension.BYTES;
                case "ttft", "tpot", "latency", "ttft_p99", "tpot_p99" -> Dimension.SECONDS;
                case "throughput" -> Dimension.TOKENS_PER_SECOND;
                default -> null;
            };
            if (dim == null) {
                List<String> metrics = Requirement.METRICS;
                diagnostics.add(Diags.unknownRequirement(r.metric().span(), metric, metrics, Names.suggest(metric, metrics)));
                continue;
            }
            if (!(r.limit() instanceof Expr.Number n) || n.unit() == null) {
                diagnostics.add(Diags.quantityWithoutUnit(r.limit().span(), dim, IntEval.describe(r.limit())));
                continue;
            }
            Units.Unit unit = Units.of(n.unit());
            if (unit.dimension() != dim) {
                diagnostics.add(Diags.wrongUnit(n.span(), n.unit(), unit.dimension(), metric, dim));
                continue;
            }
            if (metric.equals("memory") && (r.per() == null || !r.per().text().equals("gpu"))) {
                Span at = r.per() != null ? r.per().span() : r.span();
                diagnostics.add(Diags.memoryRequirementNotPerGpu(at, r.per() != null, n.text()));
                continue;
            }
            out.add(new Requirement(metric, r.comparison(), n.value().doubleValue() * unit.factor(), n.text(), r.span()));
        }
        return out;
    }
}
