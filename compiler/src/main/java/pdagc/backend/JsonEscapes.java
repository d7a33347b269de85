package pdagc.backend;

import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import java.util.Locale;

/**
 * JSON string escaping for plan files: the standard escapes, plus {@code \\uXXXX} for the
 * bidirectional controls of {@link BidiControls} and for U+2028/U+2029 (which end a line in older
 * JavaScript). A parser reads back exactly the same strings; only how they look in the file changes,
 * so a hostile name cannot reorder what a reader sees or break a script that embeds the plan.
 */
final class JsonEscapes extends CharacterEscapes {
    private static final long serialVersionUID = 1L;
    private static final int[] ASCII = standardAsciiEscapesForJSON();

    @Override
    public int[] getEscapeCodesForAscii() {
        return ASCII;
    }

    @Override
    public SerializableString getEscapeSequence(int c) {
        if (BidiControls.is(c) || c == 0x2028 || c == 0x2029) {
            return new SerializedString(String.format(Locale.ROOT, "\\u%04X", c));
        }
        return null;
    }
}
