package pdagc.spmd;

import java.util.List;
import pdagc.ir.Op;
import pdagc.ir.Shape;
import pdagc.mesh.Sharding;
import pdagc.source.Span;

/**
 * One operation of the SPMD program that every rank runs: its global shape, sharding and the
 * local shard's shape. {@code routing} marks inputs that carry a gate's decision. {@code origin}
 * is the logical node it came from (for collectives, the producer they reshard). {@code chunk} is
 * the pipeline chunk that runs it (0 without pipelining).
 */
public record SpmdNode(
        int id,
        String name,
        Op op,
        List<Integer> inputs,
        List<Boolean> routing,
        Shape shape,
        Sharding sharding,
        Shape local,
        int layer,
        Span span,
        int origin,
        int chunk) {}
