package pdagc.launch;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Every argument of Megatron-LM's megatron/training/arguments.py at core_v0.15.0 and what it
 * takes, read from {@code megatron-core_v0.15.0.flags} beside this class (extracted from that
 * file's add_argument calls). The launch writer writes only these flags; the importer parses a
 * command line with this table as argparse would (Megatron's parser allows no abbreviations).
 */
public final class MegatronFlags {
    private MegatronFlags() {}

    /** What a flag takes: nothing, one value, or one or more values. */
    public enum Kind { FLAG, VALUE, LIST, OPTIONAL }

    public static final String VERSION = "core_v0.15.0";

    private static final Map<String, Kind> FLAGS = load();

    private static Map<String, Kind> load() {
        Map<String, Kind> out = new LinkedHashMap<>();
        try (InputStream in = MegatronFlags.class.getResourceAsStream("megatron-core_v0.15.0.flags")) {
            if (in == null) throw new IllegalStateException("megatron-core_v0.15.0.flags is missing from the class path");
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isBlank() || line.startsWith("#")) continue;
                String[] f = line.split("\t");
                out.put(f[0], Kind.valueOf(f[1].toUpperCase(java.util.Locale.ROOT)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Collections.unmodifiableMap(out);
    }

    public static boolean known(String flag) {
        return FLAGS.containsKey(flag);
    }

    public static Optional<Kind> kind(String flag) {
        return Optional.ofNullable(FLAGS.get(flag));
    }

    public static java.util.Set<String> all() {
        return FLAGS.keySet();
    }
}
