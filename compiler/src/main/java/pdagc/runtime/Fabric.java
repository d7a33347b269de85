package pdagc.runtime;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import pdagc.verify.Value;

/**
 * The interconnect between the GPU threads of the reference runtime: collectives meet (every member
 * of a group contributes, then each takes all contributions), sends are buffered until their recv
 * takes them. One monitor guards everything, which makes two failures certain to be seen: a
 * deadlock, the moment every GPU still running waits for something that has not happened (only
 * another GPU could make it happen, and none is running), and a stall, when no GPU has made a
 * call for the timeout (a watchdog in the launching thread). Either is reported once with what
 * every GPU waits on, and every waiting GPU is released with {@link Aborted}.
 */
final class Fabric {
    /** Unwinds a GPU's program after another GPU failed; not a failure of its own. */
    static final class Aborted extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Aborted() {
            super("aborted: another GPU failed", null, false, false);
        }
    }

    /** Members of one collective call meet under its op name, micro-batch and group. */
    private record MeetingKey(String op, int microBatch, List<Integer> group) {}

    /** One collective call: the members' contributions as they arrive. */
    private static final class Meeting {
        final MeetingKey key;
        final String signature;
        final Value[] parts;
        int arrived;
        int taken;

        Meeting(MeetingKey key, String signature) {
            this.key = key;
            this.signature = signature;
            this.parts = new Value[key.group().size()];
        }

        boolean complete() {
            return arrived == parts.length;
        }

        List<Integer> missing() {
            List<Integer> out = new ArrayList<>();
            for (int i = 0; i < parts.length; i++) if (parts[i] == null) out.add(key.group().get(i));
            return out;
        }
    }

    /** A point-to-point channel: the send's name, micro-batch, sender and receiver. */
    private record Channel(String name, int microBatch, int from, int to) {}

    /** What a waiting GPU waits for, and how to say it. */
    private record Wait(BooleanSupplier done, Supplier<String> what) {}

    private final int gpus;
    private final long timeoutNanos;
    private final List<Wait> waits;
    private final String[] lastOp;
    private final boolean[] finished;
    private final Map<MeetingKey, Meeting> meetings = new HashMap<>();
    private final Map<Channel, Value> mail = new HashMap<>();
    private int running;
    private long lastProgress = System.nanoTime();
    private RuntimeFailure failure;

    Fabric(int gpus, long timeoutNanos) {
        this.gpus = gpus;
        this.timeoutNanos = timeoutNanos;
        this.waits = new ArrayList<>(Collections.nCopies(gpus, null));
        this.lastOp = new String[gpus];
        this.finished = new boolean[gpus];
        this.running = gpus;
    }

    /** A GPU starts an op: progress for the watchdog; throws {@link Aborted} once the run has failed. */
    synchronized void progress(int gpu, String op) {
        check();
        lastOp[gpu] = op;
        lastProgress = System.nanoTime();
    }

    /**
     * Contributes {@code part} to the collective {@code op} of this micro-batch over {@code group}
     * and waits for every member; returns all contributions in group order. Members must agree on
     * the collective's {@code signature} (kind, axes, dimensions).
     */
    synchronized List<Value> meet(int gpu, String op, int microBatch, int[] group, String signature, Value part) {
        check();
        List<Integer> members = Arrays.stream(group).boxed().toList();
        int me = members.indexOf(gpu);
        if (me < 0) throw fail(RuntimeFailure.Kind.ERROR, "GPU " + gpu + " calls " + signature + " \"" + op + "\" over GPUs " + members + ", which do not include it");
        MeetingKey key = new MeetingKey(op, microBatch, members);
        Meeting m = meetings.computeIfAbsent(key, k -> new Meeting(k, signature));
        if (!m.signature.equals(signature)) {
            throw fail(RuntimeFailure.Kind.ERROR, "GPUs disagree on \"" + op + "\" (micro-batch " + microBatch + ") over GPUs " + members + ": "
                    + m.signature + " here, " + signature + " on GPU " + gpu);
        }
        if (m.parts[me] != null) throw fail(RuntimeFailure.Kind.ERROR, "GPU " + gpu + " calls \"" + op + "\" (micro-batch " + microBatch + ") twice");
        m.parts[me] = part;
        m.arrived++;
        lastProgress = System.nanoTime();
        if (m.complete()) notifyAll();
        await(gpu, m::complete, () -> "waits in " + m.signature + " \"" + op + "\" (micro-batch " + microBatch + ") over GPUs " + members
                + " for GPU" + plural(m.missing()));
        List<Value> parts = List.of(m.parts);
        if (++m.taken == m.parts.length) meetings.remove(key);
        return parts;
    }

    /** Leaves {@code value} for the recv of {@code channel} on GPU {@code to}; never waits. */
    synchronized void send(int gpu, String channel, int microBatch, int to, Value value) {
        check();
        if (mail.put(new Channel(channel, microBatch, gpu, to), value) != null) {
            throw fail(RuntimeFailure.Kind.ERROR, "GPU " + gpu + " sends \"" + channel + "\" (micro-batch " + microBatch + ") to GPU " + to + " twice");
        }
        notifyAll();
    }

    /** Waits for GPU {@code from}'s send on {@code channel} and takes it. */
    synchronized Value recv(int gpu, String channel, int microBatch, int from) {
        check();
        Channel c = new Channel(channel, microBatch, from, gpu);
        await(gpu, () -> mail.containsKey(c), () -> "waits in recv of \"" + channel + "\" (micro-batch " + microBatch + ") for GPU " + from + " to send it");
        return mail.remove(c);
    }

    /** A GPU's program ended (normally or not). */
    synchronized void finished(int gpu) {
        finished[gpu] = true;
        running--;
        if (running > 0 && stuck() == running && failure == null) deadlock();
        notifyAll();
    }

    /** A GPU's program or kernel threw: the run fails, naming the GPU and the op it was in. */
    synchronized void failed(int gpu, Throwable e) {
        String where = lastOp[gpu] == null ? "" : " in op \"" + lastOp[gpu] + "\"";
        String what = e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + e.getMessage();
        fail(RuntimeFailure.Kind.ERROR, "GPU " + gpu + " failed" + where + ": " + what);
    }

    /** Records the first failure and releases every waiting GPU; returns it for throwing. */
    synchronized RuntimeFailure fail(RuntimeFailure.Kind kind, String message) {
        if (failure == null) failure = new RuntimeFailure(kind, message);
        notifyAll();
        return failure;
    }

    /**
     * The launching thread waits here until every GPU has finished or the run failed; a stall of
     * {@code timeoutNanos} without any GPU's progress fails it. Returns the failure, or null.
     */
    synchronized RuntimeFailure awaitEnd() throws InterruptedException {
        while (running > 0 && failure == null) {
            long idle = System.nanoTime() - lastProgress;
            if (idle >= timeoutNanos) {
                fail(RuntimeFailure.Kind.TIMEOUT, String.format(Locale.ROOT, "timed out: no GPU made progress for %.1f s: ", timeoutNanos / 1e9) + states());
                break;
            }
            long wait = Math.max(1, (timeoutNanos - idle) / 1_000_000);
            wait(wait);
        }
        return failure;
    }

    private void check() {
        if (failure != null) throw new Aborted();
    }

    /**
     * Waits until {@code done}; a wait that leaves every running GPU waiting is a deadlock. {@code what}
     * describes the wait when it is reported (members still missing as of then).
     */
    private void await(int gpu, BooleanSupplier done, Supplier<String> what) {
        while (!done.getAsBoolean()) {
            check();
            waits.set(gpu, new Wait(done, what));
            try {
                if (stuck() == running) deadlock();
                else wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Aborted();
            } finally {
                waits.set(gpu, null);
            }
        }
    }

    /** The GPUs that wait for something that has not happened (a woken GPU that has not run yet is not stuck). */
    private int stuck() {
        int n = 0;
        for (Wait w : waits) if (w != null && !w.done().getAsBoolean()) n++;
        return n;
    }

    private void deadlock() {
        fail(RuntimeFailure.Kind.DEADLOCK, "deadlock: every GPU still running waits for another: " + states());
    }

    /** What every GPU is doing: waiting (on what, for whom), running an op, or finished. */
    private String states() {
        List<String> parts = new ArrayList<>();
        List<Integer> done = new ArrayList<>();
        for (int g = 0; g < gpus; g++) {
            if (finished[g]) done.add(g);
            else if (waits.get(g) != null) parts.add("GPU " + g + " " + waits.get(g).what().get());
            else parts.add("GPU " + g + " is running" + (lastOp[g] == null ? "" : " op \"" + lastOp[g] + "\""));
        }
        if (!done.isEmpty()) parts.add("GPU" + plural(done) + (done.size() == 1 ? " has" : " have") + " finished");
        return String.join("; ", parts);
    }

    private static String plural(List<Integer> gpus) {
        if (gpus.size() == 1) return " " + gpus.get(0);
        StringBuilder b = new StringBuilder("s ");
        for (int i = 0; i < gpus.size(); i++) {
            if (i > 0) b.append(i == gpus.size() - 1 ? " and " : ", ");
            b.append(gpus.get(i));
        }
        return b.toString();
    }
}
