package pdagc.front;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import pdagc.diag.Diags;
import pdagc.diag.Diagnostics;
import pdagc.source.SourceFile;
import pdagc.source.Span;

/** Reads a source file strictly as UTF-8; bytes that are not text are a diagnostic, not garbage. */
public final class SourceReader {
    private SourceReader() {}

    public static Optional<SourceFile> read(Path path, String displayName, Diagnostics diagnostics, Span importedAt) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (IOException | SecurityException e) {
            Span at = importedAt != null ? importedAt : new Span(SourceFile.of(displayName, path, ""), 0, 0);
            String why = Files.isDirectory(path) ? "it is a directory" : Files.exists(path) ? "permission denied" : "no such file";
            diagnostics.add(Diags.cannotRead(at, displayName, why));
            return Optional.empty();
        }
        return decode(bytes, path, displayName, diagnostics);
    }

    /** Decodes a file's bytes strictly as UTF-8 (a leading BOM dropped); bytes that are not text are E0003 at the first bad byte. */
    public static Optional<SourceFile> decode(byte[] bytes, Path path, String displayName, Diagnostics diagnostics) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            String text = decoder.decode(ByteBuffer.wrap(bytes)).toString();
            if (text.startsWith("\uFEFF")) text = text.substring(1);
            return Optional.of(SourceFile.of(displayName, path, text));
        } catch (CharacterCodingException e) {
            int bad = firstInvalidByte(bytes);
            String prefix = new String(bytes, 0, bad, StandardCharsets.UTF_8);
            SourceFile lossy = SourceFile.of(displayName, path, new String(bytes, StandardCharsets.UTF_8));
            int offset = Math.min(prefix.length(), lossy.text().length());
            diagnostics.add(Diags.notUtf8(new Span(lossy, offset, offset + 1), bytes[bad], bad));
            return Optional.empty();
        }
    }

    private static int firstInvalidByte(byte[] bytes) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        java.nio.CharBuffer out = java.nio.CharBuffer.allocate(bytes.length + 1);
        java.nio.charset.CoderResult r = decoder.decode(in, out, true);
        return r.isError() ? in.position() : 0;
    }
}
