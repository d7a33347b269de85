package pdagc.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class DotTextTest {
    @Test
    void leavesPlainTextAlone() {
        assertEquals("\"layers.3.attn.qkv [8,128,512] -> x\"", DotText.quote("layers.3.attn.qkv [8,128,512] -> x"));
        assertEquals("\"专家 ffn\"", DotText.quote("专家 ffn"));
        assertEquals("\"\uD83D\uDE80\"", DotText.quote("\uD83D\uDE80"));
    }

    @Test
    void escapesQuotesBackslashesAndLineBreaks() {
        assertEquals("\"a\\\"b\"", DotText.quote("a\"b"));
        assertEquals("\"a\\\\b\"", DotText.quote("a\\b"));
        assertEquals("\"ends with \\\\\"", DotText.quote("ends with \\"));
        assertEquals("\"a\\nb\\nc\\nd\\ne\"", DotText.quote("a\nb\r\nc\rd\u2028e"));
        assertEquals("\"\\\\N \\\\G \\\\l\"", DotText.quote("\\N \\G \\l"));
    }

    @Test
    void neutralisesMarkupControlsAndBrokenText() {
        assertEquals("\"&lt;/svg> &amp; &lt;img src&#61;x>\"", DotText.quote("</svg> & <img src=x>"));
        assertEquals("\"image&#61;\\\"x\\\" fontname &#61; y\"", DotText.quote("image=\"x\" fontname = y"));
        assertEquals("\"a b\uFFFDc\uFFFDd\"", DotText.quote("a\tb\u0000c\u0085d"));
        assertEquals("\"[U+202E]gpj.exe\"", DotText.quote("\u202egpj.exe"));
        assertEquals("\"x\uFFFDy\uFFFD\"", DotText.quote("x\uD800y\uDC00"));
        assertEquals("\"*/ /* // \"", DotText.quote("*/ /* // "));
    }
}
