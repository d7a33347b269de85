package pdagc.backend;

/**
 * The answer to "draw this view" or "choose a view": either the selected nodes with a one-line
 * description for the user, or a refusal whose message says which views would fit. A refusal is
 * data, not an exception, so that the command line prints it like any other message.
 */
public sealed interface ViewResult permits ViewResult.Shown, ViewResult.Refused {

    /**
     * A view to draw, what its drawing lays out, and a line such as
     * {@code view: roles (1 role x 64 GPUs, 412 nodes; layout 460 nodes, 1000 edges)}.
     */
    record Shown(Selection selection, DotBackend.Layout layout, String description) implements ViewResult {}

    /** Nothing to draw, and why, naming the views that fit. */
    record Refused(String message) implements ViewResult {}
}
