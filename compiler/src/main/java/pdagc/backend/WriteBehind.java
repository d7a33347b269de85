package pdagc.backend;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Writes filled buffers to a stream on a thread of its own, in order, so that formatting a large
 * plan on one core and the disk taking it overlap instead of taking turns. A few buffers go round
 * between the two: the writer hands a full one over and gets back an empty one. A failed write is
 * reported to the writer at its next hand-over or at {@link #finish()}.
 */
final class WriteBehind {
    private static final int BUFFERS = 4;
    private static final byte[] END = new byte[0];

    private record Chunk(byte[] bytes, int length) {}

    private final OutputStream out;
    private final BlockingQueue<byte[]> empty = new ArrayBlockingQueue<>(BUFFERS);
    private final BlockingQueue<Chunk> full = new ArrayBlockingQueue<>(BUFFERS + 1);
    private final Thread thread;
    private volatile IOException failure;

    /** Starts the writing thread; the caller gets its first buffer from {@link #first()}. */
    WriteBehind(OutputStream out, int size) {
        this.out = out;
        for (int i = 0; i < BUFFERS; i++) empty.add(new byte[size]);
        thread = new Thread(this::drain, "pdagc-write");
        thread.setDaemon(true);
        thread.start();
    }

    byte[] first() throws IOException {
        return take();
    }

    /** Queues {@code length} bytes of {@code buffer} for writing and returns an empty buffer. */
    byte[] hand(byte[] buffer, int length) throws IOException {
        check();
        put(new Chunk(buffer, length));
        return take();
    }

    /** Waits until everything handed over is written; throws what writing threw. */
    void finish() throws IOException {
        put(new Chunk(END, 0));
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while writing");
        }
        check();
    }

    private void drain() {
        while (true) {
            Chunk c;
            try {
                c = full.take();
            } catch (InterruptedException e) {
                failure = new InterruptedIOException("interrupted while writing");
                return;
            }
            if (c.bytes() == END) return;
            if (failure == null) {
                try {
                    out.write(c.bytes(), 0, c.length());
                } catch (IOException e) {
                    failure = e;
                }
            }
            empty.add(c.bytes());
        }
    }

    private void check() throws IOException {
        IOException e = failure;
        if (e != null) throw e;
    }

    private void put(Chunk c) throws IOException {
        try {
            full.put(c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while writing");
        }
    }

    private byte[] take() throws IOException {
        try {
            return empty.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while writing");
        }
    }
}
