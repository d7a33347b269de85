package pdagc.diag;

import java.util.Locale;

/**
 * The catalogue of every user-facing message, with its stable code. Messages are templates with
 * {@code %s} parameters filled in {@link Locale#ROOT}, so output does not change with the locale.
 */
public enum Code {
    // ---- reading and parsing (E00xx)
    E0001("E0001", "unexpected character %s"),
    E0002("E0002", "syntax error: %s"),
    E0003("E0003", "file is not UTF-8 text: %s"),
    E0004("E0004", "cannot read %s: %s"),
    E0005("E0005", "brackets are nested more than %s deep"),
    E0006("E0006", "an expression has more than %s operators"),

    // ---- imports and names (E01xx)
    E0101("E0101", "cannot find module `%s`"),
    E0102("E0102", "import cycle: %s"),
    E0103("E0103", "`%s` is declared twice"),
    E0104("E0104", "cannot find %s `%s`"),
    E0105("E0105", "`%s` is ambiguous: it is declared in %s"),
    E0106("E0106", "`%s` is a %s, but a %s is needed here"),
    E0107("E0107", "imports are nested more than %s deep"),

    // ---- properties, values, units (E02xx)
    E0201("E0201", "unknown property `%s` in %s"),
    E0202("E0202", "%s `%s` is missing required property `%s`"),
    E0203("E0203", "property `%s` is given twice"),
    E0204("E0204", "expected %s, found %s"),
    E0205("E0205", "unit `%s` measures %s, but `%s` needs %s"),
    E0206("E0206", "invalid value for `%s`: %s"),
    E0207("E0207", "integer overflow: %s"),
    E0208("E0208", "%s is not a whole number (%s)"),
    // split from E0206 (see README, Diagnostics); each keeps E0206's message text
    E0209("E0209", "invalid value for `%s`: %s"),
    E0210("E0210", "invalid value for `%s`: %s"),
    E0211("E0211", "invalid value for `ep`: model `%s` has no experts to split %s ways"),
    E0212("E0212", "invalid value for `%s`: %s"),
    E0213("E0213", "invalid value for `pp`: %s pipeline chunks for %s layers"),
    E0214("E0214", "invalid value for `stage_layers`: needs %s positive counts that add up to the %s layers, found %s"),
    E0215("E0215", "invalid value for `memory`: a memory requirement is per GPU"),
    // serving workloads: `input` and `output` lengths
    E0216("E0216", "a serving workload (`input`, `output`) does not take `%s`"),
    E0217("E0217", "`output` without `input`: a serving workload needs the prompt's length"),
    E0218("E0218", "invalid value for `%s`: %s"),
    E0219("E0219", "a serving workload takes a fixed `batch` or a request `rate`, not both"),
    E0220("E0220", "`%s` is not a knob of a search at a request rate: workload `%s` serves requests at a rate"),
    E0221("E0221", "`%s` without `rate`: workload `%s` runs a fixed batch"),
    W0219("W0219", "`seq` is ignored in decode: a decode step runs one new token per sequence", Severity.WARNING),
    W0220("W0220", "`measurements %s` times this GPU's kernels from another chip's: %s", Severity.WARNING),

    // ---- deployments and strategies (E03xx)
    E0301("E0301", "no deployment to compile in %s"),
    E0302("E0302", "the mesh has %s GPUs, but the cluster has %s"),
    E0303("E0303", "%s size %s does not divide %s %s"),
    E0304("E0304", "unknown mesh axis `%s`"),
    E0305("E0305", "mesh axis `%s` is given twice"),
    E0306("E0306", "%s is not supported yet"),
    W0307("W0307", "%s GPUs do not fill whole nodes of %s: the last node holds %s", Severity.WARNING),
    E0308("E0308", "deployment `%s` not found; this file declares: %s"),
    W0309("W0309", "%s group of %s GPUs spans %s nodes of %s GPUs", Severity.WARNING),
    W0310("W0310", "1F1B with %s micro-batches for %s pipeline stages never fills the pipeline", Severity.WARNING),
    E0312("E0312", "%s declares %s deploys (%s): one output holds one"),
    E0311("E0311", "the expert mesh of %s GPUs does not fold the %s GPUs of a pipeline stage"),
    W0314("W0314", "sequence parallelism with `tp` before `cp` in the mesh gathers the sequence over cp at every tensor-parallel region", Severity.WARNING),
    E0313("E0313", "`%s` would be split twice over the GPUs of `%s`: %s"),
    // training strategies
    E0315("E0315", "invalid value for `zero`: %s; ZeRO stages are 0, 1, 2 and 3"),
    E0316("E0316", "ZeRO stage %s shards model states over the data-parallel ranks, but `%s` has none"),
    W0317("W0317", "`%s` applies to training only; workload `%s` runs %s", Severity.WARNING),
    E0318("E0318", "`%s` cannot be trained yet: operation `%s` has no gradient rule"),
    W0319("W0319", "ZeRO cannot shard %s over the %s GPUs that reduce %s: %s optimizer states stay whole on every GPU", Severity.WARNING),
    W0325("W0325", "`overlap_grad_reduce` overlaps the gradients' reduction over the data-parallel ranks, but `%s` has none", Severity.WARNING),
    // strategy search
    E0320("E0320", "no strategy of the %s candidates of search `%s` %s"),
    E0321("E0321", "nothing to search in %s"),

    // ---- blocks and shapes (E04xx)
    E0401("E0401", "shape mismatch: %s"),
    E0402("E0402", "`%s` %s"),
    E0403("E0403", "block `%s` returns %s but declares %s"),
    E0404("E0404", "cannot find operation or block `%s`"),
    E0405("E0405", "`%s` is %s, but %s is needed here"),
    E0406("E0406", "block `%s` calls itself"),
    E0407("E0407", "block `%s` has no `return`"),
    E0408("E0408", "unknown parallel annotation `@%s`"),
    // split from E0402 and E0401 (see README, Diagnostics); each keeps its old message text
    E0409("E0409", "`%s` %s"),
    E0410("E0410", "`%s` %s"),
    E0411("E0411", "`%s` %s"),
    E0412("E0412", "`%s` is not defined on tensors; use `+` or `*`"),
    E0413("E0413", "shape mismatch: unembed shares the token embedding's table, but no `embed(..., vocab: %s, dim: %s)` comes before it"),
    E0414("E0414", "shape mismatch: the workload reaches position %s but the model learned %s positions"),
    E0415("E0415", "shape mismatch: the second argument must be the output of `router(...)`"),

    // ---- requirements and limits (E05xx)
    E0501("E0501", "requirement not met: %s"),
    E0502("E0502", "unknown requirement `%s`"),
    E0503("E0503", "GPU %s needs %s but has %s"),
    E0505("E0505", "the per-GPU DAG would have %s nodes and %s edges, over pdagc's budget of %s nodes"),
    E0506("E0506", "one GPU of each pipeline stage would run %s nodes, over pdagc's budget of %s"),
    W0504("W0504", "requirement `%s` is not evaluated: %s", Severity.WARNING),
    E0507("E0507", "laying out view %s (%s nodes, %s edges) with %s took longer than %s"),
    E0508("E0508", "requests arriving at %s are more than deploy `%s` serves: %s"),

    // ---- importing model configs and counting models (E06xx)
    E0601("E0601", "%s is not a JSON object: %s"),
    E0602("E0602", "unsupported model_type `%s`"),
    E0603("E0603", "the config has no `%s`%s"),
    E0604("E0604", "`%s` must be %s, found %s"),
    E0605("E0605", "contradictory config: %s"),
    E0606("E0606", "%s is not supported by the importer yet"),
    E0607("E0607", "no model in %s"),
    W0608("W0608", "%s is not modelled: attention spans the whole sequence and the KV cache holds every token", Severity.WARNING),
    W0609("W0609", "only the language model (`text_config`) of this `%s` config is imported", Severity.WARNING),
    W0610("W0610", "the checkpoint's quantization (%s) is not modelled: the model is counted in elements, and costed in the workload's `dtype`", Severity.WARNING),

    // ---- launch configurations of other engines, and importing their command lines (E07xx)
    E0701("E0701", "%s cannot express %s"),
    E0702("E0702", "%s runs %s, but workload `%s` is %s"),
    W0703("W0703", "%s is not passed to %s: %s", Severity.WARNING),
    W0704("W0704", "%s also drops %s at rate %s, which this model does not", Severity.WARNING),
    W0705("W0705", "Megatron-LM splits the sequence over %s context-parallel ranks in %s chunks, two a rank; pdagc in %s, one a rank", Severity.WARNING),
    E0711("E0711", "unknown Megatron-LM flag `%s`"),
    E0712("E0712", "invalid value for `%s`: %s"),
    E0713("E0713", "the command line has no `%s`%s"),
    E0714("E0714", "`%s` is not supported by `pdagc import megatron`: %s"),
    E0715("E0715", "contradictory flags: %s"),
    W0716("W0716", "`%s` is not modelled by pdagc and is ignored", Severity.WARNING),

    // ---- invariants of generated plans (E09xx); seeing one is a compiler bug
    E0901("E0901", "plan validation failed: %s");

    private final String id;
    private final String template;
    private final Severity severity;

    Code(String id, String template) {
        this(id, template, Severity.ERROR);
    }

    Code(String id, String template, Severity severity) {
        this.id = id;
        this.template = template;
        this.severity = severity;
    }

    public String id() {
        return id;
    }

    public Severity severity() {
        return severity;
    }

    public String format(Object... args) {
        return String.format(Locale.ROOT, template, args);
    }
}
