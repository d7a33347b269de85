package pdagc.javagen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import pdagc.driver.MaterializedPlan;
import pdagc.ir.CollectiveKind;
import pdagc.ir.Op;
import pdagc.runtime.RuntimeFailure;
import pdagc.source.SourceFile;
import pdagc.spmd.SpmdNode;
import pdagc.spmd.SpmdProgram;

/**
 * A program that cannot finish ends in an error that names the GPUs and what each waits on, within
 * seconds: members of a group calling two collectives in opposite orders, a generated plan whose
 * first stage waits in a collective the second stage never calls, and a GPU that never arrives
 * (a stall, caught by the timeout).
 */
class DeadlockTest {
    static final Duration LIMIT = Duration.ofSeconds(10);

    /** A small tp 2 x pp 2 plan whose runtime interface the hand-written programs use. */
    static MaterializedPlan small() {
        return GeneratedPlans.shrunk(SourceFile.of("small.pdag", null, GeneratedPlansRunTest.deploy(GeneratedPlansRunTest.DENSE, 4,
                "mesh [pp 2, tp 2] micro_batches 2", GeneratedPlansRunTest.PREFILL)));
    }

    /** The plan's generated sources plus a hand-written program {@code pdagc.generated.Crossed} for 2 GPUs. */
    static Class<?> handWritten(MaterializedPlan plan, String body) throws ClassNotFoundException {
        Map<String, String> sources = new LinkedHashMap<>(GeneratedPlans.sources(plan));
        sources.put("pdagc/generated/Crossed.java", """
                package pdagc.generated;

                public final class Crossed {
                    public static final int GPUS = 2;

                    private Crossed() {
                    }

                    public static <T> Runnable program(int gpu, DRuntime<T> rt) {
                        return () -> {
                            rt.beginUnit(0, 0);
                            T x = rt.input("input", new long[] {2, 4}, new long[] {0, 0}, new long[] {2, 4});
                            int[] group = {0, 1};
                %s
                        };
                    }
                }
                """.formatted(body));
        return GeneratedPlans.compile(sources).load("pdagc.generated.Crossed");
    }

    @Test
    void collectivesCalledInOppositeOrdersAreADeadlock() throws ClassNotFoundException {
        Class<?> crossed = handWritten(small(), """
                            if (gpu == 0) {
                                rt.allReduce("first", "tp", group, x);
                                rt.allReduce("second", "tp", group, x);
                            } else {
                                rt.allReduce("second", "tp", group, x);
                                rt.allReduce("first", "tp", group, x);
                            }
                """);
        RuntimeFailure f = assertTimeoutPreemptively(LIMIT, () -> assertThrows(RuntimeFailure.class, () -> GeneratedPlans.runtime(small()).run(crossed)));
        assertEquals(RuntimeFailure.Kind.DEADLOCK, f.kind(), f.getMessage());
        assertEquals("deadlock: every GPU still running waits for another: "
                + "GPU 0 waits in all_reduce[tp] \"first\" (micro-batch 0) over GPUs [0, 1] for GPU 1; "
                + "GPU 1 waits in all_reduce[tp] \"second\" (micro-batch 0) over GPUs [0, 1] for GPU 0", f.getMessage());
    }

    @Test
    void aGpuThatNeverArrivesTimesOut() throws ClassNotFoundException {
        Class<?> stalled = handWritten(small(), """
                            if (gpu == 0) {
                                rt.allReduce("first", "tp", group, x);
                            } else {
                                while (true) {
                                    try {
                                        Thread.sleep(20);
                                    } catch (InterruptedException e) {
                                        return;
                                    }
                                }
                            }
                """);
        long start = System.nanoTime();
        RuntimeFailure f = assertTimeoutPreemptively(LIMIT,
                () -> assertThrows(RuntimeFailure.class, () -> GeneratedPlans.runtime(small()).withTimeout(Duration.ofSeconds(1)).run(stalled)));
        assertEquals(RuntimeFailure.Kind.TIMEOUT, f.kind(), f.getMessage());
        assertEquals("timed out: no GPU made progress for 1.0 s: GPU 0 waits in all_reduce[tp] \"first\" (micro-batch 0) over GPUs [0, 1] for GPU 1; "
                + "GPU 1 is running op \"input\"", f.getMessage());
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(5).toNanos(), "ends soon after the timeout");
    }

    @Test
    void aGeneratedProgramWaitingForAnotherStageIsADeadlock() {
        MaterializedPlan plan = small();
        MaterializedPlan broken = withCollectiveAcrossStages(plan);
        RuntimeFailure f = assertTimeoutPreemptively(LIMIT, () -> {
            Class<?> main = GeneratedPlans.compile(GeneratedPlans.sources(broken)).load(GeneratedPlans.planClass(broken));
            return assertThrows(RuntimeFailure.class, () -> GeneratedPlans.runtime(broken).run(main));
        });
        assertEquals(RuntimeFailure.Kind.DEADLOCK, f.kind(), f.getMessage());
        assertTrue(f.getMessage().contains("GPU 0 waits in all_reduce[pp] \"stages.all_reduce\" (micro-batch 0) over GPUs [0, 2] for GPU 2"), f.getMessage());
        assertTrue(f.getMessage().contains("GPU 2 waits in recv of "), f.getMessage());
        assertTrue(f.getMessage().contains("(micro-batch 1) for GPU 0 to send it"), f.getMessage());
    }

    /**
     * The plan with an all-reduce over pp appended to the first chunk: the first stage's GPUs call
     * it after their send, the second stage's never do (a partitioner bug that validation would
     * catch; the generator is given the program directly).
     */
    static MaterializedPlan withCollectiveAcrossStages(MaterializedPlan plan) {
        SpmdProgram p = plan.spmd();
        SpmdNode send = p.nodes().stream().filter(n -> n.op() instanceof Op.Transfer t && t.send()).findFirst().orElseThrow();
        SpmdNode x = p.nodes().get(send.inputs().get(0));
        List<SpmdNode> nodes = new ArrayList<>(p.nodes());
        nodes.add(new SpmdNode(nodes.size(), "stages.all_reduce", new Op.Collective(CollectiveKind.ALL_REDUCE, List.of("pp"), 0, 0), List.of(x.id()),
                List.of(false), x.shape(), x.sharding(), x.local(), x.layer(), x.span(), x.origin(), send.chunk()));
        SpmdProgram broken = new SpmdProgram(p.mesh(), p.dtype(), p.pipeline(), nodes);
        return new MaterializedPlan(plan.deployment(), plan.graph(), plan.shardings(), broken, plan.dag(), plan.analysis());
    }
}
