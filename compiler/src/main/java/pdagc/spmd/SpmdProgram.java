package pdagc.spmd;

import java.util.List;
import pdagc.ir.DType;
import pdagc.mesh.Mesh;
import pdagc.mesh.Pipeline;

/**
 * The partitioned program: one list of operations, in order, that every rank of the mesh runs on
 * its own shards, with every collective in place. Ranks differ only in their mesh coordinates,
 * which fix their shards and their collective groups; memory grows with the program, not the GPUs.
 * With pipelining, each op belongs to a chunk, and a rank runs the chunks of its pp stage.
 */
public record SpmdProgram(Mesh mesh, DType dtype, Pipeline pipeline, List<SpmdNode> nodes) {}
