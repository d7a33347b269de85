package pdagc.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pdagc.cli.Main;

/** {@code pdagc fmt} on the command line: in-place rewrite, {@code --check} exit codes, syntax errors. */
class FmtCommandTest {
    @TempDir
    Path dir;

    record Run(int code, String out, String err) {}

    static Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    private static final String MESSY = "workload W {batch 1   seq 2}\nstrategy S{mesh [tp 4]}";
    private static final String CLEAN = "workload W { batch 1  seq 2 }\n\nstrategy S { mesh [tp 4] }\n";

    List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void checkExitsOneListingUnformattedFilesAndWritesNothing() throws IOException {
        Path messy = Files.writeString(dir.resolve("messy.pdag"), MESSY);
        Path clean = Files.writeString(dir.resolve("clean.pdag"), CLEAN);
        Run r = cli("fmt", "--check", messy.toString(), clean.toString());
        assertEquals(1, r.code(), r.err());
        assertEquals(messy + ": not formatted\n", r.out().replace("\r\n", "\n"));
        assertEquals(MESSY, Files.readString(messy));
        assertEquals(0, cli("fmt", "--check", clean.toString()).code());
    }

    @Test
    void fmtRewritesInPlaceAndThenCheckPasses() throws IOException {
        Path messy = Files.writeString(dir.resolve("messy.pdag"), MESSY);
        Run r = cli("fmt", messy.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(CLEAN, Files.readString(messy));
        assertEquals(List.of("messy.pdag"), names(), "no temporary file left behind");
        assertEquals(0, cli("fmt", "--check", messy.toString()).code());
    }

    @Test
    void aSyntaxErrorExitsOneWithDiagnosticsAndLeavesTheFile() throws IOException {
        String bad = "model M { vocab }\n";
        Path f = Files.writeString(dir.resolve("bad.pdag"), bad);
        for (String[] args : new String[][] {{"fmt", f.toString()}, {"fmt", "--check", f.toString()}}) {
            Run r = cli(args);
            assertEquals(1, r.code());
            assertTrue(r.err().contains("error[E0002]"), r.err());
            assertTrue(r.err().contains("could not format"), r.err());
            assertEquals(bad, Files.readString(f));
        }
    }

    @Test
    void aMissingFileIsAUsageError() {
        Run r = cli("fmt", dir.resolve("nope.pdag").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("cannot read"), r.err());
    }

    @Test
    void fmtKeepsTheFileMode() throws IOException {
        Path f = Files.writeString(dir.resolve("secret.pdag"), MESSY);
        Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        // As root, the file is given to another user first: fmt keeps its owner too.
        java.nio.file.attribute.UserPrincipal owner = Files.getOwner(f);
        if ("root".equals(System.getProperty("user.name"))) {
            try {
                owner = f.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
                Files.setOwner(f, owner);
            } catch (IOException e) {
                owner = Files.getOwner(f);
            }
        }
        Run r = cli("fmt", f.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(CLEAN, Files.readString(f));
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        assertEquals(owner, Files.getOwner(f));
        assertEquals(List.of("secret.pdag"), names());
    }

    @Test
    void fmtFormatsTheTargetOfASymbolicLinkAndKeepsTheLink() throws IOException {
        Path real = Files.createDirectory(dir.resolve("real"));
        Path target = Files.writeString(real.resolve("model.pdag"), MESSY);
        Path link = Files.createSymbolicLink(dir.resolve("link.pdag"), Path.of("real/model.pdag"));
        Run r = cli("fmt", link.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.isSymbolicLink(link), "the link is kept");
        assertEquals(CLEAN, Files.readString(target), "the file it points at is formatted");
        assertEquals(List.of("link.pdag", "real"), names());
        assertEquals(0, cli("fmt", "--check", target.toString()).code());
    }

    @Test
    void fmtKeepsHardLinks() throws IOException {
        Path f = Files.writeString(dir.resolve("a.pdag"), MESSY);
        Path other = Files.createLink(dir.resolve("b.pdag"), f);
        Run r = cli("fmt", f.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.isSameFile(f, other), "still one file");
        assertEquals(CLEAN, Files.readString(other));
        assertEquals(List.of("a.pdag", "b.pdag"), names());
    }

    @Test
    void aFileThatIsNotUtf8IsE0003AsCheckSays() throws IOException {
        Path f = dir.resolve("latin1.pdag");
        byte[] bytes = "workload W { batch 1  seq 2 } // caf\u00e9\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        Files.write(f, bytes);
        for (String[] args : new String[][] {{"fmt", f.toString()}, {"fmt", "--check", f.toString()}, {"check", f.toString()}}) {
            Run r = cli(args);
            assertEquals(1, r.code(), String.join(" ", args) + ": " + r.err());
            assertTrue(r.err().contains("error[E0003]: file is not UTF-8 text: invalid byte 0xE9 at byte offset 36"), r.err());
            assertTrue(r.err().contains(f + ":1:37"), r.err());
        }
        assertTrue(java.util.Arrays.equals(bytes, Files.readAllBytes(f)), "left as it was");
    }

    @Test
    void aByteOrderMarkIsKept() throws IOException {
        Path f = Files.writeString(dir.resolve("bom.pdag"), "\uFEFF" + MESSY);
        Run r = cli("fmt", f.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("\uFEFF" + CLEAN, Files.readString(f));
    }
}
