package pdagc.backend;

/**
 * The Unicode characters that silently reorder the text around them (the "Trojan Source" set:
 * U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069). A name holding one can make a drawing or a
 * plan file read differently from what it says, so every backend shows them visibly or escaped.
 */
final class BidiControls {
    private BidiControls() {}

    static boolean is(int c) {
        return c == 0x061C || c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
    }
}
