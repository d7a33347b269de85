package pdagc.importer;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import pdagc.diag.Diags;
import pdagc.diag.Diagnostics;
import pdagc.front.SourceReader;
import pdagc.program.Names;
import pdagc.source.SourceFile;

/**
 * {@code pdagc import hf}: turns a Hugging Face {@code config.json} into a readable .pdag
 * {@code model} built from stdlib blocks, with a comment on every value saying which field it came
 * from. People describe models by these files; importing them, rather than retyping numbers,
 * keeps the architecture exact. Any problem (not JSON, an unknown model_type, a missing, mistyped
 * or contradictory field, a feature the blocks cannot express) is a diagnostic at the field, and
 * no text is produced.
 */
public final class HfImport {
    private HfImport() {}

    /** The imported model: its name and the .pdag text. */
    public record Result(String modelName, String text) {}

    /** Reads and imports a config file; empty when it has errors (reported to {@code diagnostics}). */
    public static Optional<Result> run(Path config, String display, String modelName, Diagnostics diagnostics) {
        return SourceReader.read(config, display, diagnostics, null).flatMap(f -> run(f, modelName, diagnostics));
    }

    public static Optional<Result> run(SourceFile file, String modelName, Diagnostics diagnostics) {
        int errors = diagnostics.errorReports();
        Optional<HfConfig> parsed = HfConfig.parse(file, diagnostics);
        if (parsed.isEmpty()) return Optional.empty();
        HfConfig outer = parsed.get();
        String outerType = outer.text("model_type");
        if (outerType == null) return Optional.empty();
        // A multimodal config's language model is its text_config: imported when that one's type is.
        Optional<HfConfig> text = Families.SUPPORTED.contains(outerType) ? Optional.empty() : outer.textConfig();
        HfConfig c = text.orElse(outer);
        String type = text.isPresent() ? text.get().text("model_type") : outerType;
        if (type == null) return Optional.empty();
        if (!Families.SUPPORTED.contains(type)) {
            boolean inner = text.isPresent();
            diagnostics.add(Diags.unsupportedModelType(c.at("model_type"), type, inner, Families.SUPPORTED,
                    inner ? Optional.empty() : Names.suggest(type, Families.SUPPORTED)));
            return Optional.empty();
        }
        if (text.isPresent()) {
            diagnostics.add(Diags.onlyTextConfigImported(outer.keyAt(HfConfig.TEXT_CONFIG), outerType));
        }
        c.modelType(type);
        PdagModel m = new PdagModel();
        String name = modelName != null ? modelName : defaultName(file.displayName(), null, type);
        header(outer, m, name, outerType);
        if (text.isPresent()) m.note("The language model (text_config, model_type " + type + "); the vision tower is not imported.");
        Families.translate(type, c, m);
        quantization(outer, m, diagnostics);
        if (diagnostics.errorReports() > errors) return Optional.empty();
        return Optional.of(new Result(name, m.render(name)));
    }

    private static void header(HfConfig c, PdagModel m, String name, String type) {
        String arch = c.firstText("architectures");
        String dtype = c.note("torch_dtype");
        m.note(name + ": imported by `pdagc import hf` from " + fileName(c.file().displayName()) + ".");
        m.note("model_type " + PdagModel.quote(type) + (arch != null ? ", architectures " + arch : "") + (dtype != null ? ", torch_dtype " + dtype : "") + ".");
        m.note("Each value's comment names the config.json field it comes from. Weights and shapes are");
        m.note("exact; RoPE, dropout and the routers' scoring rules have no weights and are not modelled.");
    }

    /**
     * A quantized checkpoint (DeepSeek-V3's fp8 with a scale per 128 x 128 block) stores the same
     * weights in fewer bytes: nothing the model declares changes, and a deploy's memory and time
     * follow its workload's {@code dtype}. Never silence: a warning (W0610) and a line in the file.
     */
    private static void quantization(HfConfig c, PdagModel m, Diagnostics diagnostics) {
        if (!c.has("quantization_config")) return;
        String method = c.note("quantization_config", "quant_method");
        String fmt = c.note("quantization_config", "fmt");
        String what = method == null ? "quantization_config" : "quant_method " + method + (fmt != null ? ", fmt " + fmt : "");
        boolean fp8 = method != null && method.toLowerCase(java.util.Locale.ROOT).contains("fp8");
        diagnostics.add(Diags.quantizationNotModelled(c.keyAt("quantization_config"), what, fp8));
        m.note("Not modelled: the checkpoint's quantization (" + what + ").");
        m.note("Memory and time follow the workload's dtype" + (fp8 ? ": `dtype fp8` costs it as stored." : "."));
    }

    private static String fileName(String display) {
        Path p = Path.of(display).getFileName();
        return PdagModel.quote(p == null ? display : p.toString());
    }

    private static final Set<String> RESERVED = Set.of("import", "as", "model", "cluster", "workload", "strategy", "gpu", "deploy", "search", "on", "with",
            "for", "block", "return", "require", "per", "KB", "MB", "GB", "TB", "KiB", "MiB", "GiB", "TiB", "bytes", "ns", "us", "ms", "s");

    /**
     * A model name from the output file's stem ({@code mixtral_8x7b.pdag} gives
     * {@code Mixtral_8x7b}, so that {@code import std.models.mixtral_8x7b} brings model
     * {@code Mixtral_8x7b}), else from the config's file name without {@code .json} and
     * {@code .config}, else (a plain {@code config.json}) from its directory, else the model_type.
     */
    public static String defaultName(String configPath, String outputPath, String modelType) {
        String stem = null;
        if (outputPath != null && !outputPath.equals("-")) stem = stem(outputPath, ".pdag");
        if (stem == null || stem.isEmpty()) {
            stem = stem(configPath, ".json");
            if (stem.endsWith(".config")) stem = stem.substring(0, stem.length() - ".config".length());
            if (stem.equals("config")) {
                Path parent = Path.of(configPath).toAbsolutePath().normalize().getParent();
                stem = parent != null && parent.getFileName() != null ? parent.getFileName().toString() : modelType;
            }
        }
        return identifier(stem.isEmpty() ? modelType : stem);
    }

    private static String stem(String path, String ext) {
        Path f = Path.of(path).getFileName();
        String name = f == null ? path : f.toString();
        return name.endsWith(ext) ? name.substring(0, name.length() - ext.length()) : name;
    }

    /** Letters, digits and underscores, starting with a capital letter; never a reserved word. */
    static String identifier(String text) {
        String s = text.replaceAll("[^A-Za-z0-9_]+", "_").replaceAll("_+", "_").replaceAll("^_|_$", "");
        if (s.isEmpty()) s = "Model";
        if (!Character.isLetter(s.charAt(0))) s = "M_" + s;
        s = s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1);
        return RESERVED.contains(s) ? s + "_model" : s;
    }

    /** Whether a user-given name can be a model's name. */
    public static boolean isIdentifier(String name) {
        return name.matches("[A-Za-z_][A-Za-z0-9_]*") && !RESERVED.contains(name);
    }
}
