package pdagc.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The writing thread keeps the order of what it is handed, and a failed write reaches the writer. */
class WriteBehindTest {

    @Test
    void buffersArriveInOrder() throws IOException {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        WriteBehind w = new WriteBehind(sink, 7);
        byte[] expected = new byte[1000];
        byte[] buf = w.first();
        int pos = 0;
        for (int i = 0; i < expected.length; i++) {
            expected[i] = (byte) (i * 31);
            if (pos == buf.length) {
                buf = w.hand(buf, pos);
                pos = 0;
            }
            buf[pos++] = expected[i];
        }
        w.hand(buf, pos);
        w.finish();
        assertArrayEquals(expected, sink.toByteArray());
    }

    @Test
    void aFailedWriteIsThrownToTheWriterAndNothingHangs() {
        OutputStream broken = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("disk full");
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                throw new IOException("disk full");
            }
        };
        IOException e = assertThrows(IOException.class, () -> assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            WriteBehind w = new WriteBehind(broken, 4);
            byte[] buf = w.first();
            try {
                for (int i = 0; i < 100; i++) buf = w.hand(buf, buf.length);
            } finally {
                w.finish();
            }
        }));
        assertEquals("disk full", e.getMessage());
    }
}
