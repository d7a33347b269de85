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
@Command(name = "import", mixinStandardHelpOptions = true, description = "Import a model description as a .pdag model.",
        subcommands = ImportCommand.Hf.class)
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
                    + "qwen3, qwen3_moe, olmoe, deepseek, deepseek_v2, deepseek_v3, falcon, starcoder2, gpt_neox, gpt2) as a .pdag model built from stdlib blocks.")
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
}
