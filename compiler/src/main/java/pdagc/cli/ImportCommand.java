package pdagc.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import pdagc.diag.Diagnostics;
import pdagc.importer.HfImport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code pdagc import SOURCE ...}: turns another tool's model description into a .pdag model.
 * One source so far, {@code hf} (a Hugging Face config.json); the command groups them so that
 * another format is a new subcommand, not a new top-level command.
 */
@Command(name = "import", mixinStandardHelpOptions = true, description = "Import a model description (a Hugging Face config) or a Megatron-LM command line as a .pdag file.",
        subcommands = {ImportCommand.Hf.class, ImportCommand.Megatron.class})
final class ImportCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    private final java.io.OutputStream stdout;
    private final PrintWriter err;

    ImportCommand(java.io.OutputStream stdout, PrintWriter err) {
        this.stdout = stdout;
        this.err = err;
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(err);
        return Main.USAGE;
    }

    /** {@code pdagc import hf CONFIG.json [-o MODEL.pdag] [--name NAME]}. */
    @Command(name = "hf", mixinStandardHelpOptions = true,
            description = "Import a Hugging Face config.json (model_type llama, mistral, mixtral, phi3, gemma, gemma2, gemma3_text, qwen2, qwen2_moe, "
                    + "qwen3, qwen3_moe, qwen3_vl_text, qwen3_vl_moe_text, olmoe, deepseek, deepseek_v2, deepseek_v3, kimi_k2, glm4_moe, minimax_m2, llama4_text, "
                    + "falcon, starcoder2, gpt_neox, gptj, gpt2) as a .pdag model built from stdlib blocks.")
    static final class Hf implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "CONFIG", description = "the config.json")
        Path config;

        @Option(names = {"-o", "--output"}, paramLabel = "OUT", description = "the .pdag file to write (default: stdout)")
        Path output;

        @Option(names = "--name", paramLabel = "NAME", description = "the model's name (default: from OUT's or CONFIG's file name)")
        String name;

        @picocli.CommandLine.ParentCommand
        ImportCommand parent;

        @Override
        public Integer call() {
            PrintWriter err = parent.err;
            java.io.OutputStream stdout = parent.stdout;
            if (name != null && !HfImport.isIdentifier(name)) {
                err.println("error: --name " + name + " is not a name (letters, digits and _, not starting with a digit, not a keyword or unit)");
                return Main.USAGE;
            }
            String display = Reporting.display(config);
            String model = name != null ? name : HfImport.defaultName(display, output == null ? null : output.toString(), "model");
            Diagnostics diagnostics = new Diagnostics();
            Optional<HfImport.Result> result = HfImport.run(config, display, model, diagnostics);
            int code = Reporting.report(diagnostics, err, "could not import " + display);
            if (code != Main.OK || result.isEmpty()) return code == Main.OK ? Main.INPUT_ERRORS : code;
            byte[] text = result.get().text().getBytes(StandardCharsets.UTF_8);
            return OutputFiles.write(output, config, out -> out.write(text), stdout, err);
        }
    }

    /**
     * {@code pdagc import megatron [-o OUT] [--name NAME] [--gpu GPU] [torchrun OPTIONS SCRIPT.py] ARGS...}:
     * a Megatron-LM command line as a .pdag deployment. Every argument that is not one of this
     * command's own options is the command line's, in order: the command line that registers it
     * treats unknown options as positional parameters ({@link #configure}).
     */
    @Command(name = "megatron", mixinStandardHelpOptions = true,
            description = "Import a Megatron-LM command line (torchrun --nnodes N --nproc-per-node G pretrain_gpt.py ARGS...) as a .pdag deployment:"
                    + " model, cluster, training workload and strategy.")
    static final class Megatron implements Callable<Integer> {
        @Option(names = {"-o", "--output"}, paramLabel = "OUT", description = "the .pdag file to write (default: stdout)")
        Path output;

        @Option(names = "--name", paramLabel = "NAME", description = "the deploy's name, and the prefix of its model, cluster, workload and strategy (default: Megatron)")
        String name = "Megatron";

        @Option(names = "--gpu", paramLabel = "GPU", description = "the cluster's GPU, one of std.hardware's (default: H100)")
        String gpu = "H100";

        @Parameters(paramLabel = "ARGS", description = "the command line: [torchrun OPTIONS SCRIPT.py] Megatron-LM arguments")
        java.util.List<String> args = new java.util.ArrayList<>();

        @picocli.CommandLine.ParentCommand
        ImportCommand parent;

        /** The GPU kinds that std.hardware declares, in its order. */
        static java.util.List<String> gpus() {
            try {
                String text = pdagc.front.Stdlib.read("std/hardware.pdag").orElseThrow(() -> new IllegalStateException("std/hardware.pdag is missing"));
                java.util.List<String> out = new java.util.ArrayList<>();
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^gpu (\\w+)").matcher(text);
                while (m.find()) out.add(m.group(1));
                return out;
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        /** The import command line with Megatron's flags kept, in order, as this command's arguments. */
        static void configure(picocli.CommandLine importCommand) {
            importCommand.getSubcommands().get("megatron").setUnmatchedOptionsArePositionalParams(true);
        }

        @Override
        public Integer call() {
            PrintWriter err = parent.err;
            if (!HfImport.isIdentifier(name)) {
                err.println("error: --name " + name + " is not a name (letters, digits and _, not starting with a digit, not a keyword or unit)");
                return Main.USAGE;
            }
            java.util.List<String> gpus = gpus();
            if (!gpus.contains(gpu)) {
                err.println("error: --gpu " + gpu + " is not a GPU of std.hardware; its GPUs are: " + String.join(", ", gpus)
                        + pdagc.program.Names.suggest(gpu, gpus).map(g -> " (did you mean " + g + "?)").orElse(""));
                return Main.USAGE;
            }
            if (args.isEmpty()) {
                err.println("error: no Megatron-LM command line to import; give it after the options: pdagc import megatron torchrun --nnodes N --nproc-per-node G pretrain_gpt.py ARGS...");
                return Main.USAGE;
            }
            Diagnostics diagnostics = new Diagnostics();
            Optional<pdagc.launch.MegatronImport.Result> result = pdagc.launch.MegatronImport.run(args, gpu, name, diagnostics);
            int code = Reporting.report(diagnostics, err, "could not import the Megatron-LM command line");
            if (code != Main.OK || result.isEmpty()) return code == Main.OK ? Main.INPUT_ERRORS : code;
            byte[] text = result.get().text().getBytes(StandardCharsets.UTF_8);
            return OutputFiles.write(output, null, out -> out.write(text), parent.stdout, err);
        }
    }
}
