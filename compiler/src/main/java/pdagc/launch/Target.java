package pdagc.launch;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** An engine that `--emit launch --for TARGET` writes the launch configuration of. */
public enum Target {
    /** NVIDIA Megatron-LM's pretrain_gpt.py under torchrun: training plans. */
    MEGATRON("megatron", "Megatron-LM"),
    /** vLLM's {@code vllm serve}: serving and inference plans. */
    VLLM("vllm", "vLLM"),
    /** SGLang's {@code python -m sglang.launch_server}: serving and inference plans. */
    SGLANG("sglang", "SGLang");

    private final String keyword;
    private final String display;

    Target(String keyword, String display) {
        this.keyword = keyword;
        this.display = display;
    }

    public String keyword() {
        return keyword;
    }

    /** The engine's name as its project writes it. */
    public String display() {
        return display;
    }

    public static List<String> keywords() {
        return Arrays.stream(values()).map(Target::keyword).toList();
    }

    public static Optional<Target> of(String keyword) {
        return Arrays.stream(values()).filter(t -> t.keyword.equals(keyword.toLowerCase(Locale.ROOT))).findFirst();
    }
}
