package pdagc.runtime;

/**
 * Why a run of a generated plan on the reference runtime ended without a result: a deadlock (every
 * GPU still running waits on another), a timeout (no GPU made progress for the configured time),
 * an error in one GPU's program or kernel, or a program that ran other ops than the plan schedules.
 * The message names the GPUs and what each waits on or ran.
 */
public final class RuntimeFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What went wrong. */
    public enum Kind {
        DEADLOCK,
        TIMEOUT,
        ERROR,
        SCHEDULE
    }

    private final Kind kind;

    public RuntimeFailure(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
