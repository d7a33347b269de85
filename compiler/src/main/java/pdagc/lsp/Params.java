package pdagc.lsp;

import java.util.logging.Logger;
import org.eclipse.lsp4j.Position;
import org.eclipse.lsp4j.TextDocumentIdentifier;
import org.eclipse.lsp4j.jsonrpc.ResponseErrorException;
import org.eclipse.lsp4j.jsonrpc.messages.ResponseError;
import org.eclipse.lsp4j.jsonrpc.messages.ResponseErrorCode;

/**
 * Checks of a client's parameters. A request whose parameters lack what it needs (null params, no
 * text document, no position) is answered with the protocol's InvalidParams error naming what is
 * missing, not an internal error carrying a NullPointerException; such a notification is skipped
 * with a one-line log.
 */
final class Params {
    private Params() {}

    private static final Logger LOG = Logger.getLogger("org.eclipse.lsp4j.pdagc");

    /** The value, or an InvalidParams error for the request {@code method}. */
    static <T> T require(T value, String method, String what) {
        if (value == null) throw invalid(method, what + " is missing");
        return value;
    }

    /** A request's document URI: params, their textDocument and its uri must all be there. */
    static String uri(Object params, TextDocumentIdentifier document, String method) {
        require(params, method, "params");
        return require(require(document, method, "textDocument").getUri(), method, "textDocument.uri");
    }

    /** A request's position. */
    static Position position(Position position, String method) {
        return require(position, method, "position");
    }

    static ResponseErrorException invalid(String method, String why) {
        return new ResponseErrorException(new ResponseError(ResponseErrorCode.InvalidParams, "invalid params for " + method + ": " + why, null));
    }

    /** Whether a notification's parameters are all there; logs one line when not. */
    static boolean present(String method, Object... required) {
        for (Object o : required) {
            if (o == null) {
                LOG.warning("ignored " + method + ": its params are incomplete");
                return false;
            }
        }
        return true;
    }
}
