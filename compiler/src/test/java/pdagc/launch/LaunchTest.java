package pdagc.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pdagc.cli.Main;
import pdagc.diag.DiagnosticRenderer;
import pdagc.driver.Compiler;
import pdagc.driver.MaterializedPlan;
import pdagc.mesh.Mesh;
import pdagc.sem.StrategySpec;
import pdagc.source.SourceFile;

/**
 * {@code --emit launch}: every example's every deploy for every target gives a script (exit 0) or
 * coded diagnostics (exit 1), never a crash; every Megatron-LM flag written is one of
 * arguments.py's at core_v0.15.0; and {@code import megatron} of a training example's launch
 * gives back the same strategy, model sizes and workload, and a file that verifies.
 */
class LaunchTest {
    private static final Path ROOT = Path.of(System.getProperty("pdagc.root", "..")).toAbsolutePath().normalize();

    @TempDir
    Path dir;

    record Run(int code, String out, String err) {}

    static Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    static List<Path> examples() throws Exception {
        try (Stream<Path> s = Files.list(ROOT.resolve("examples"))) {
            return s.filter(p -> p.toString().endsWith(".pdag")).sorted().toList();
        }
    }

    static List<String> deploys(Path file) throws Exception {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^deploy (\\w+)").matcher(Files.readString(file));
        while (m.find()) out.add(m.group(1));
        return out;
    }

    /**
     * The targets whose flags can say each example's plan (the others refuse it with E07xx). No
     * engine runs long_context_cp_tp: it is a prefill step (Megatron-LM's pretrain_gpt.py trains),
     * and its context parallelism all-gathers keys and values over 4 GPUs, which neither vLLM's nor
     * SGLang's flags say.
     */
    static final Map<String, Set<String>> EXPRESSIBLE = Map.ofEntries(
            Map.entry("gpt3_layers_train.pdag", Set.of("megatron")),
            Map.entry("gpt_1_3b_dp_train.pdag", Set.of("megatron")),
            Map.entry("llama2_70b_serving.pdag", Set.of("vllm", "sglang")),
            Map.entry("llama3_8b_serving_rate.pdag", Set.of("vllm", "sglang")),
            Map.entry("llama2_7b_tp_sp.pdag", Set.of("vllm")),
            Map.entry("llama3_8b_dp_tp_pp.pdag", Set.of("vllm", "sglang")),
            Map.entry("llama3_8b_train.pdag", Set.of("megatron")),
            Map.entry("long_context_cp_tp.pdag", Set.of()),
            Map.entry("mixtral_8x7b_ep_tp.pdag", Set.of("sglang")),
            Map.entry("mixtral_ep_etp_pp.pdag", Set.of("sglang")),
            Map.entry("seed_moe_ep16_tp4.pdag", Set.of("sglang")));

    @Test
    void everyExampleHasALaunchForEachTargetOrCodedDiagnostics() throws Exception {
        int scripts = 0;
        assertEquals(EXPRESSIBLE.keySet(), Set.copyOf(examples().stream().map(p -> p.getFileName().toString()).toList()), "every example is listed");
        for (Path ex : examples()) {
            for (String deploy : deploys(ex)) {
                Set<String> written = new java.util.TreeSet<>();
                for (String target : Target.keywords()) {
                    Run r = cli(ex.toString(), "--deploy", deploy, "--emit", "launch", "--for", target);
                    String what = ex.getFileName() + " " + deploy + " --for " + target + ":\n" + r.err();
                    assertFalse(r.err().contains("internal error"), what);
                    if (r.code() == Main.OK) {
                        written.add(target);
                        assertTrue(r.out().startsWith("#!/usr/bin/env bash\n"), what);
                        if (target.equals("megatron")) megatronFlagsAreArgumentsPyFlags(r.out());
                    } else {
                        assertEquals(Main.INPUT_ERRORS, r.code(), what);
                        assertTrue(Pattern.compile("error\\[E07\\d\\d\\]").matcher(r.err()).find(), what);
                        assertTrue(r.out().isEmpty(), what);
                    }
                }
                assertEquals(new java.util.TreeSet<>(EXPRESSIBLE.get(ex.getFileName().toString())), written, ex.getFileName() + " " + deploy);
                scripts += written.size();
            }
        }
        assertTrue(scripts >= 10, "scripts written: " + scripts);
    }

    /** Every `--flag` after the script's name is an argument of Megatron-LM's parser. */
    static void megatronFlagsAreArgumentsPyFlags(String script) {
        String after = script.substring(script.indexOf("\n  pretrain_gpt.py"));
        Matcher m = Pattern.compile("(--[a-z0-9-]+)").matcher(after);
        int n = 0;
        while (m.find()) {
            assertTrue(MegatronFlags.known(m.group(1)), m.group(1) + " is not in megatron/training/arguments.py at core_v0.15.0");
            n++;
        }
        assertTrue(n > 20, "flags: " + n);
    }

    /** The arguments of a launch script's command, as a shell would pass them (this writer's scripts quote only the variables). */
    static List<String> arguments(String script) {
        List<String> out = new ArrayList<>();
        for (String line : script.split("\n")) {
            if (line.startsWith("#")) continue;
            for (String word : line.replace("\\", " ").trim().split("\\s+")) {
                if (word.isEmpty() || word.equals("\"$@\"")) continue;
                Matcher v = Pattern.compile("\"\\$\\{\\w+:-([^}]*)\\}\"").matcher(word);
                out.add(v.matches() ? v.group(1) : word);
            }
        }
        return out;
    }

    static MaterializedPlan compile(Path file, String deploy) {
        Compiler c = new Compiler(Set.of());
        MaterializedPlan p = c.compile(file, file.toString(), deploy).orElse(null);
        assertNotNull(p, () -> DiagnosticRenderer.render(c.diagnostics().sorted()));
        return p;
    }

    /** A mesh without its axes of size 1, as text: [dp 2, pp 4, tp 4] and [dp 2, pp 4, tp 4, cp 1] are one mesh. */
    static String mesh(Mesh m) {
        if (m == null) return "none";
        return m.axes().stream().filter(a -> a.size() > 1).map(a -> a.name() + " " + a.size()).toList().toString();
    }

    static Map<String, Object> strategy(MaterializedPlan p) {
        StrategySpec s = p.deployment().strategy();
        return Map.of("mesh", mesh(s.mesh()), "expert_mesh", mesh(s.expertMesh()), "sequence_parallel", s.sequenceParallel(),
                "pipeline", s.pipeline(), "stage_layers", String.valueOf(s.stageLayers()), "training", s.training());
    }

    @Test
    void importMegatronOfATrainingExampleGivesBackItsStrategy() throws Exception {
        for (String example : List.of("gpt3_layers_train.pdag", "llama3_8b_train.pdag", "gpt_1_3b_dp_train.pdag")) {
            Path file = ROOT.resolve("examples").resolve(example);
            Run launch = cli(file.toString(), "--emit", "launch", "--for", "megatron");
            assertEquals(Main.OK, launch.code(), launch.err());
            List<String> args = new ArrayList<>(List.of("import", "megatron", "--name", "Imported"));
            args.addAll(arguments(launch.out()));
            Run imported = cli(args.toArray(String[]::new));
            assertEquals(Main.OK, imported.code(), imported.err());
            Path back = dir.resolve(example);
            Files.writeString(back, imported.out());
            MaterializedPlan original = compile(file, null);
            MaterializedPlan again = compile(back, null);
            assertEquals(strategy(original), strategy(again), example + "\n" + imported.out());
            assertEquals(original.deployment().model().params(), again.deployment().model().params(), example);
            assertEquals(original.deployment().model().layer().name(), again.deployment().model().layer().name());
            assertEquals(original.deployment().model().head().name(), again.deployment().model().head().name());
            assertEquals(original.deployment().model().dropout(), again.deployment().model().dropout());
            assertEquals(original.deployment().workload().batch(), again.deployment().workload().batch());
            assertEquals(original.deployment().workload().seq(), again.deployment().workload().seq());
            assertEquals(original.deployment().workload().dtype(), again.deployment().workload().dtype());
            assertEquals(original.deployment().cluster().count(), again.deployment().cluster().count());
            assertEquals(original.deployment().cluster().perNode(), again.deployment().cluster().perNode());
            // The same plan: the same ops on every GPU.
            assertEquals(original.dag().nodes().size(), again.dag().nodes().size(), example);
            // And its launch is the original's, flag for flag.
            Run relaunch = cli(back.toString(), "--emit", "launch", "--for", "megatron");
            assertEquals(Main.OK, relaunch.code(), relaunch.err());
            assertEquals(arguments(launch.out()), arguments(relaunch.out()), example);
            Run verify = cli("verify", back.toString());
            assertEquals(Main.OK, verify.code(), verify.err() + verify.out());
            assertTrue(verify.out().contains("agree"), verify.out());
        }
    }

    @Test
    void megatronRankOrderIsComparedGpuByGpu() {
        // mesh [pp 2, dp 2, tp 2] is Megatron's default order; [dp 2, pp 2, tp 2] needs --use-tp-pp-dp-mapping; [tp 2, dp 2, pp 2] neither.
        String base = """
                import std.hardware
                import std.blocks
                model M { vocab 64  hidden 32  heads 4  layers 4  ffn 64  norm rmsnorm  act silu  layer gated_dense_layer }
                cluster C { gpu H100  count 8  per_node 8 }
                workload W { batch 8  seq 16  phase train  dtype bf16 }
                strategy S { mesh MESH  micro_batches 2  schedule 1f1b }
                deploy D = M on C with S for W
                """;
        assertTrue(launch(base.replace("MESH", "[pp 2, dp 2, tp 2]")).contains("--pipeline-model-parallel-size 2"));
        assertFalse(launch(base.replace("MESH", "[pp 2, dp 2, tp 2]")).contains("--use-tp-pp-dp-mapping"));
        assertTrue(launch(base.replace("MESH", "[dp 2, pp 2, tp 2]")).contains("--use-tp-pp-dp-mapping"));
        String refused = launchErrors(base.replace("MESH", "[tp 2, dp 2, pp 2]"));
        assertTrue(refused.contains("error[E0701]: Megatron-LM cannot express this mesh's rank order"), refused);
        assertTrue(refused.contains("GPU 1 is tp 0, cp 0, pp 1"), refused);
    }

    @Test
    void unevenStagesOtherThanFirstAndLastAreRefused() {
        String base = """
                import std.hardware
                import std.blocks
                model M { vocab 64  hidden 32  heads 4  layers 10  ffn 64  norm rmsnorm  act silu  layer gated_dense_layer }
                cluster C { gpu H100  count 4  per_node 4 }
                workload W { batch 8  seq 16  phase train  dtype bf16 }
                strategy S { mesh [pp 4]  micro_batches 4  schedule 1f1b  STAGES }
                deploy D = M on C with S for W
                """;
        String ok = launch(base.replace("STAGES", "stage_layers [1, 3, 3, 3]"));
        assertTrue(ok.contains("--decoder-first-pipeline-num-layers 1") && !ok.contains("--decoder-last"), ok);
        String refused = launchErrors(base.replace("STAGES", "stage_layers [2, 3, 2, 3]"));
        assertTrue(refused.contains("E0701") && refused.contains("uneven pipeline stages"), refused);
        // Balanced 10 over 4 is 3, 3, 2, 2: not a first/last split either.
        assertTrue(launchErrors(base.replace("STAGES", "")).contains("stages of 3, 3, 2, 2 layers"));
    }

    /**
     * At a request rate the engine's batch limit is the one the simulated run had: what the KV cache
     * holds, or the workload's max_batch; per data-parallel replica.
     */
    @Test
    void atARateTheBatchLimitIsTheRunsNotTheSteadyStates() throws Exception {
        String base = """
                import std.hardware
                import std.models.llama_3_8b
                cluster C { gpu H100  count 2 }
                workload W { input 1024  output 256  rate 4 req/s  dtype bf16LIMIT }
                strategy S { mesh [dp 2] }
                deploy D = Llama_3_8b on C with S for W
                """;
        for (String[] c : new String[][] {{"", null}, {"  max_batch 12", "12"}}) {
            Path f = dir.resolve("rate" + System.nanoTime() + ".pdag");
            Files.writeString(f, base.replace("LIMIT", c[0]));
            pdagc.analysis.ServingSimulation.Engine engine = pdagc.driver.Compile.source(base.replace("LIMIT", c[0])).analysis().serving().arrivals().simulated().engine();
            for (String target : List.of("vllm", "sglang")) {
                Run r = cli(f.toString(), "--emit", "launch", "--for", target);
                assertEquals(Main.OK, r.code(), r.err());
                String flag = target.equals("vllm") ? "--max-num-seqs " : "--max-running-requests ";
                assertTrue(r.out().contains(flag + (c[1] != null ? c[1] : String.valueOf(engine.inFlight())) + " "), r.out());
            }
            if (c[1] == null) assertTrue(engine.inFlight() > 100, "the KV cache's limit, not the steady state's 4 a replica: " + engine);
        }
        Path f = dir.resolve("chunked" + System.nanoTime() + ".pdag");
        Files.writeString(f, base.replace("LIMIT", "  chunked_prefill true  token_budget 2048"));
        Run v = cli(f.toString(), "--emit", "launch", "--for", "vllm"), s = cli(f.toString(), "--emit", "launch", "--for", "sglang");
        assertTrue(v.out().contains("--enable-chunked-prefill \\") && v.out().contains("--max-num-batched-tokens 2048 "), v.out() + v.err());
        assertTrue(s.out().contains("--chunked-prefill-size 2048 "), s.out() + s.err());
    }

    private String launch(String source) {
        try {
            Path f = dir.resolve("m" + System.nanoTime() + ".pdag");
            Files.writeString(f, source);
            Run r = cli(f.toString(), "--emit", "launch", "--for", "megatron");
            assertEquals(Main.OK, r.code(), r.err());
            return r.out();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private String launchErrors(String source) {
        try {
            Path f = dir.resolve("m" + System.nanoTime() + ".pdag");
            Files.writeString(f, source);
            Run r = cli(f.toString(), "--emit", "launch", "--for", "megatron");
            assertEquals(Main.INPUT_ERRORS, r.code(), r.out());
            return r.err();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void usageErrors() {
        Path ex = ROOT.resolve("examples").resolve("llama3_8b_train.pdag");
        Run noTarget = cli(ex.toString(), "--emit", "launch");
        assertEquals(Main.USAGE, noTarget.code());
        assertTrue(noTarget.err().contains("--emit launch needs --for TARGET; targets are: megatron, vllm, sglang"), noTarget.err());
        Run wrongFormat = cli(ex.toString(), "--emit", "json", "--for", "vllm");
        assertEquals(Main.USAGE, wrongFormat.code());
        Run unknown = cli(ex.toString(), "--emit", "launch", "--for", "trtllm");
        assertEquals(Main.USAGE, unknown.code());
        assertTrue(unknown.err().contains("unknown launch target `trtllm`"), unknown.err());
        Run nothing = cli("import", "megatron");
        assertEquals(Main.USAGE, nothing.code(), nothing.err());
        Run gpu = cli("import", "megatron", "--gpu", "H10", "torchrun", "--nnodes", "1");
        assertEquals(Main.USAGE, gpu.code(), gpu.err());
        assertTrue(gpu.err().contains("--gpu H10 is not a GPU of std.hardware") && gpu.err().contains("did you mean H100?"), gpu.err());
    }

    @Test
    void theFlagTableIsArgumentsPys() {
        // Spot checks against megatron/training/arguments.py at core_v0.15.0: switches, values and lists.
        assertEquals(MegatronFlags.Kind.FLAG, MegatronFlags.kind("--sequence-parallel").orElseThrow());
        assertEquals(MegatronFlags.Kind.FLAG, MegatronFlags.kind("--use-tp-pp-dp-mapping").orElseThrow());
        assertEquals(MegatronFlags.Kind.VALUE, MegatronFlags.kind("--tensor-model-parallel-size").orElseThrow());
        assertEquals(MegatronFlags.Kind.VALUE, MegatronFlags.kind("--num-virtual-stages-per-pipeline-rank").orElseThrow());
        assertEquals(MegatronFlags.Kind.LIST, MegatronFlags.kind("--cp-comm-type").orElseThrow());
        assertFalse(MegatronFlags.known("--tensor-parallel-size"), "vLLM's name, not Megatron's");
        assertTrue(MegatronFlags.all().size() > 500);
        assertTrue(SourceFile.of("x", null, "").text().isEmpty());
    }

    static final String TINY = "torchrun --nnodes 1 --nproc-per-node 8 pretrain_gpt.py --num-layers 4 --hidden-size 64 --num-attention-heads 4 --seq-length 32"
            + " --micro-batch-size 1 --global-batch-size 8 --tokenizer-type NullTokenizer --vocab-size 127 --position-embedding-type rope --swiglu"
            + " --normalization RMSNorm --disable-bias-linear --attention-dropout 0.0 --hidden-dropout 0.0 --bf16";

    static final String MOE = " --num-experts 4 --moe-router-topk 2 --moe-ffn-hidden-size 32 --moe-router-load-balancing-type none --moe-token-dispatcher-type alltoall";

    /**
     * Command lines with experts folded over the data-parallel ranks (an expert mesh, and ep as a
     * mesh axis), context parallelism and virtual stages: each imports to a file that verifies,
     * and whose launch gives back the command line's parallel flags.
     */
    @Test
    void importedCommandLinesVerifyAndLaunchBack() throws Exception {
        List<String> lines = List.of(
                TINY + " --tensor-model-parallel-size 2" + MOE + " --expert-model-parallel-size 2 --expert-tensor-parallel-size 1",
                TINY + " --tensor-model-parallel-size 2" + MOE + " --expert-model-parallel-size 2",
                TINY + " --tensor-model-parallel-size 2 --context-parallel-size 2 --cp-comm-type allgather --pipeline-model-parallel-size 2"
                        + " --num-layers-per-virtual-pipeline-stage 1",
                TINY + " --pipeline-model-parallel-size 2 --decoder-first-pipeline-num-layers 1 --decoder-last-pipeline-num-layers 3"
                        + " --sequence-parallel --tensor-model-parallel-size 2 --recompute-granularity full --recompute-method uniform"
                        + " --recompute-num-layers 1 --use-distributed-optimizer",
                // ZeRO 2 and 3 as Megatron-FSDP's sharding strategies.
                TINY + " --tensor-model-parallel-size 2 --use-megatron-fsdp --data-parallel-sharding-strategy optim_grads --ckpt-format fsdp_dtensor",
                TINY + " --tensor-model-parallel-size 2 --sequence-parallel --use-megatron-fsdp --data-parallel-sharding-strategy optim_grads_params"
                        + " --ckpt-format fsdp_dtensor");
        List<String> parallel = List.of("--tensor-model-parallel-size", "--pipeline-model-parallel-size", "--context-parallel-size",
                "--expert-model-parallel-size", "--expert-tensor-parallel-size", "--num-layers-per-virtual-pipeline-stage",
                "--decoder-first-pipeline-num-layers", "--decoder-last-pipeline-num-layers", "--micro-batch-size", "--global-batch-size",
                "--recompute-granularity", "--recompute-method", "--recompute-num-layers");
        for (String line : lines) {
            List<String> args = new ArrayList<>(List.of("import", "megatron"));
            args.addAll(List.of(line.split(" ")));
            Run imported = cli(args.toArray(String[]::new));
            assertEquals(Main.OK, imported.code(), line + "\n" + imported.err());
            Path file = dir.resolve("imported" + lines.indexOf(line) + ".pdag");
            Files.writeString(file, imported.out());
            Run verify = cli("verify", file.toString());
            assertEquals(Main.OK, verify.code(), imported.out() + verify.err());
            Run fmt = cli("fmt", "--check", file.toString());
            assertEquals(Main.OK, fmt.code(), "the imported file is in pdagc fmt's layout: " + fmt.out());
            Run launch = cli(file.toString(), "--emit", "launch", "--for", "megatron");
            assertEquals(Main.OK, launch.code(), launch.err());
            List<String> back = arguments(launch.out());
            List<String> given = List.of(line.split(" "));
            for (String flag : parallel) {
                int i = given.indexOf(flag);
                if (i < 0) continue;
                int j = back.indexOf(flag);
                assertTrue(j >= 0, flag + " is missing from the launch of " + line + "\n" + launch.out());
                assertEquals(given.get(i + 1), back.get(j + 1), flag + " in\n" + launch.out());
            }
            for (String sw : List.of("--sequence-parallel", "--use-distributed-optimizer", "--use-megatron-fsdp")) {
                assertEquals(given.contains(sw), back.contains(sw), sw + " in\n" + launch.out());
            }
            int sharding = given.indexOf("--data-parallel-sharding-strategy");
            if (sharding >= 0) {
                assertEquals(given.get(sharding + 1), back.get(back.indexOf("--data-parallel-sharding-strategy") + 1), launch.out());
                assertTrue(imported.out().contains("zero " + (given.get(sharding + 1).equals("optim_grads") ? 2 : 3)), imported.out());
            }
        }
    }

    /** vLLM's MoE layers span a stage's dp x tp GPUs: experts whole over them is --enable-expert-parallel; any other fold is refused. */
    @Test
    void vllmExpertsFoldTheDataAndTensorParallelGpus() throws Exception {
        String base = """
                import std.hardware
                import std.blocks
                model M { vocab 64  hidden 32  heads 4  kv_heads 4  layers 2  ffn 64  experts 8  top 2  norm rmsnorm  act silu  layer gated_moe_layer }
                cluster C { gpu H100  count 8  per_node 8 }
                workload W { batch 8  seq 16  phase prefill  dtype bf16 }
                strategy S { STRATEGY }
                deploy D = M on C with S for W
                """;
        Path ok = dir.resolve("ep.pdag");
        Files.writeString(ok, base.replace("STRATEGY", "mesh [dp 2, tp 4]  expert_mesh [ep 8]"));
        Run r = cli(ok.toString(), "--emit", "launch", "--for", "vllm");
        assertEquals(Main.OK, r.code(), r.err());
        assertTrue(r.out().contains("--tensor-parallel-size 4") && r.out().contains("--data-parallel-size 2") && r.out().contains("--enable-expert-parallel"), r.out());
        Path split = dir.resolve("etp.pdag");
        Files.writeString(split, base.replace("STRATEGY", "mesh [dp 2, tp 4]  expert_mesh [etp 8]"));
        Run s = cli(split.toString(), "--emit", "launch", "--for", "vllm");
        assertEquals(Main.OK, s.code(), s.err());
        assertFalse(s.out().contains("--enable-expert-parallel"), s.out());
        Path folded = dir.resolve("fold.pdag");
        Files.writeString(folded, base.replace("STRATEGY", "mesh [dp 2, tp 4]  expert_mesh [ep 4, etp 2]"));
        Run f = cli(folded.toString(), "--emit", "launch", "--for", "vllm");
        assertEquals(Main.INPUT_ERRORS, f.code(), f.out());
        assertTrue(f.err().contains("error[E0701]: vLLM cannot express experts folded as ep 4 x etp 2 over 8 GPUs"), f.err());
        // SGLang folds the same experts as --ep-size 4 with attention in --dp-size 2 groups.
        Run g = cli(folded.toString(), "--emit", "launch", "--for", "sglang");
        assertEquals(Main.OK, g.code(), g.err());
        assertTrue(g.out().contains("--tp-size 8") && g.out().contains("--dp-size 2") && g.out().contains("--enable-dp-attention")
                && g.out().contains("--ep-size 4"), g.out());
    }
}
