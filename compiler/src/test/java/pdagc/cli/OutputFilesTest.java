package pdagc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code -o}: special files (devices, FIFOs) are written, never replaced by a regular file; a
 * symbolic link is written through and kept; a replaced file keeps its permissions and its hard
 * links; a signal during a write leaves no temporary file behind.
 */
class OutputFilesTest {
    @TempDir
    Path dir;

    private static final String CONFIG = "{\"model_type\": \"llama\", \"vocab_size\": 64, \"hidden_size\": 32, \"intermediate_size\": 48,"
            + " \"num_hidden_layers\": 2, \"num_attention_heads\": 4}";

    record Run(int code, String out, String err) {}

    static Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    private Path config() throws IOException {
        return Files.writeString(dir.resolve("tiny.config.json"), CONFIG);
    }

    private static int exec(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), String.join(" ", command));
        return p.exitValue();
    }

    private List<String> names(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /**
     * The real {@code /dev/null}, only where the test does not run as root: there a regression
     * could not replace it (the rename is refused), and before the fix this exited 2.
     */
    @Test
    void devNullIsWrittenNotReplaced() throws Exception {
        assumeTrue(!isRoot() && Files.exists(Path.of("/dev/null")), "as root, see aDeviceNodeIsWrittenNotReplaced");
        Run r = cli("import", "hf", config().toString(), "-o", "/dev/null");
        assertEquals(0, r.code(), r.err());
        assertFalse(Files.isRegularFile(Path.of("/dev/null")));
    }

    /** A null device of its own (mknod c 1 3, as root), so that a regression cannot replace the machine's /dev/null. */
    @Test
    void aDeviceNodeIsWrittenNotReplaced() throws Exception {
        Path node = dir.resolve("null");
        assumeTrue(isRoot() && exec("mknod", node.toString(), "c", "1", "3") == 0, "mknod needs root");
        Run r = cli("import", "hf", config().toString(), "-o", node.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(special(node), "still a device");
        assertEquals(List.of("null", "tiny.config.json"), names(dir));
    }

    @Test
    void aFifoIsWrittenNotReplaced() throws Exception {
        Path fifo = dir.resolve("pipe");
        assumeTrue(exec("mkfifo", fifo.toString()) == 0, "mkfifo");
        Path got = dir.resolve("got.txt");
        Process reader = new ProcessBuilder("cat", fifo.toString()).redirectOutput(got.toFile()).start();
        try {
            Run r = cli("import", "hf", config().toString(), "-o", fifo.toString());
            assertEquals(0, r.code(), r.err());
            assertTrue(special(fifo), "still a FIFO");
            assertTrue(reader.waitFor(30, TimeUnit.SECONDS), "the reader got end of file");
            assertTrue(Files.readString(got).contains("model Pipe {"), Files.readString(got));
        } finally {
            reader.destroyForcibly();
        }
        assertEquals(List.of("got.txt", "pipe", "tiny.config.json"), names(dir));
    }

    @Test
    void aSymbolicLinkIsWrittenThroughAndKept() throws Exception {
        Path realDir = Files.createDirectory(dir.resolve("real"));
        Path target = Files.writeString(realDir.resolve("model.pdag"), "// old\n");
        Path link = Files.createSymbolicLink(dir.resolve("link.pdag"), Path.of("real/model.pdag"));
        Run r = cli("import", "hf", config().toString(), "-o", link.toString(), "--name", "Linked");
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.isSymbolicLink(link), "the link is kept");
        assertEquals(Path.of("real/model.pdag"), Files.readSymbolicLink(link));
        assertTrue(Files.readString(target).contains("model Linked {"), Files.readString(target));
        assertEquals(List.of("model.pdag"), names(realDir), "no temporary file left beside the target");
    }

    @Test
    void aReplacedFileKeepsItsModeAndHardLinks() throws Exception {
        Path out = Files.writeString(dir.resolve("out.pdag"), "// old\n");
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rw-------"));
        Path other = Files.createLink(dir.resolve("other.pdag"), out);
        Run r = cli("import", "hf", config().toString(), "-o", out.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
        assertTrue(Files.isSameFile(out, other), "the hard link is kept");
        assertTrue(Files.readString(other).contains("model Out {"), Files.readString(other));
        assertEquals(2, ((Number) Files.getAttribute(out, "unix:nlink")).intValue());

        Path single = Files.writeString(dir.resolve("single.pdag"), "// old\n");
        Files.setPosixFilePermissions(single, PosixFilePermissions.fromString("rw-r-----"));
        assertEquals(0, cli("import", "hf", config().toString(), "-o", single.toString()).code());
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(single)));
        assertTrue(Files.readString(single).contains("model Single {"));
        assertEquals(List.of("other.pdag", "out.pdag", "single.pdag", "tiny.config.json"), names(dir));
    }

    @Test
    void theRegistryDeletesInFlightFilesAndDirectories() throws Exception {
        Path file = TempFiles.register(dir.resolve(".a.tmp"));
        Files.writeString(file, "partial");
        Path tree = TempFiles.register(dir.resolve(".b.tmp"));
        Files.createDirectories(tree.resolve("x/y"));
        Files.writeString(tree.resolve("x/y/z.java"), "partial");
        Path outside = Files.writeString(dir.resolve("keep.txt"), "kept");
        Files.createSymbolicLink(tree.resolve("x/link"), outside);
        Path gone = TempFiles.register(dir.resolve(".never-created.tmp"));
        assertTrue(TempFiles.inFlight().containsAll(List.of(file, tree, gone)));
        TempFiles.deleteAll();
        assertEquals(List.of("keep.txt"), names(dir), "only the file outside the registry is left");
        assertEquals("kept", Files.readString(outside), "a link inside a temporary directory is not followed");
        assertFalse(TempFiles.inFlight().contains(file));
    }

    @Test
    void aFinishedWriteIsForgotten() throws Exception {
        assertEquals(0, cli("import", "hf", config().toString(), "-o", dir.resolve("m.pdag").toString()).code());
        assertTrue(TempFiles.inFlight().stream().noneMatch(p -> p.startsWith(dir)), TempFiles.inFlight().toString());
        Path readOnly = Files.writeString(dir.resolve("m2.pdag"), "");
        Run failed = cli("import", "hf", dir.resolve("missing.json").toString(), "-o", readOnly.toString());
        assertEquals(1, failed.code(), failed.err());
        assertTrue(TempFiles.inFlight().stream().noneMatch(p -> p.startsWith(dir)), TempFiles.inFlight().toString());
    }

    /** A child JVM writing an endless output, ended by SIGTERM or SIGINT mid-write, leaves no temporary file. */
    @ParameterizedTest
    @ValueSource(strings = {"TERM", "INT"})
    void aSignalDuringAWriteLeavesNoTemporaryFile(String signal) throws Exception {
        Path out = dir.resolve("plan.json");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), SlowWriter.class.getName(), out.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            Path tmp = null;
            while (tmp == null && System.nanoTime() < deadline && child.isAlive()) {
                try (Stream<Path> s = Files.list(dir)) {
                    tmp = s.filter(p -> p.getFileName().toString().startsWith(".plan.json.")).findFirst().orElse(null);
                }
                if (tmp == null || Files.size(tmp) < (1 << 20)) {
                    tmp = null;
                    Thread.sleep(20);
                }
            }
            assertTrue(tmp != null, "the child began writing a temporary file");
            assertEquals(0, exec("kill", "-" + signal, Long.toString(child.pid())));
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the child ended");
            assertEquals(List.of(), names(dir), "no temporary file and no output left");
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void whyAWriteFailedIsSaid() throws Exception {
        Path ro = Files.createDirectory(dir.resolve("ro"));
        Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("r-x------"));
        assumeTrue(!isRoot(), "root may write anywhere");
        Run r = cli("import", "hf", config().toString(), "-o", ro.resolve("m.pdag").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("permission denied"), r.err());
    }

    /** Neither a regular file, a directory nor a link: a device or a FIFO. */
    private static boolean special(Path p) throws IOException {
        return Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class, java.nio.file.LinkOption.NOFOLLOW_LINKS).isOther();
    }
}
