package pdagc.runtime;

import pdagc.verify.Value;

/** One runtime call a GPU made: the op's name, the schedule unit it belonged to, and the value it made (or sent, or output). */
public record Step(String op, int microBatch, int chunk, Value value) {}
