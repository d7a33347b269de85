package pdagc.syntax;

import org.antlr.v4.runtime.DefaultErrorStrategy;
import org.antlr.v4.runtime.Parser;
import org.antlr.v4.runtime.RecognitionException;

/**
 * ANTLR's recovery, but an error within a few tokens of the previous one is not reported: after a
 * recovery, the parser often resumes in the wrong place (at a keyword inside a stray comment, say)
 * and its next complaint is an echo of the first error, not a second mistake of the user's.
 */
final class QuietRecovery extends DefaultErrorStrategy {
    /** Tokens the parser must match after an error before it reports another. */
    private static final int QUIET_TOKENS = 3;

    private int matchedSinceError = QUIET_TOKENS;

    @Override
    public void reportMatch(Parser recognizer) {
        super.reportMatch(recognizer);
        if (matchedSinceError < QUIET_TOKENS) matchedSinceError++;
    }

    @Override
    public void reportError(Parser recognizer, RecognitionException e) {
        if (echo(recognizer)) return;
        super.reportError(recognizer, e);
    }

    @Override
    protected void reportUnwantedToken(Parser recognizer) {
        if (echo(recognizer)) return;
        super.reportUnwantedToken(recognizer);
    }

    @Override
    protected void reportMissingToken(Parser recognizer) {
        if (echo(recognizer)) return;
        super.reportMissingToken(recognizer);
    }

    /** True (and recovery begins silently) when this error comes too soon after the last one. */
    private boolean echo(Parser recognizer) {
        if (inErrorRecoveryMode(recognizer)) return false;
        boolean quiet = matchedSinceError < QUIET_TOKENS;
        matchedSinceError = 0;
        if (quiet) beginErrorCondition(recognizer);
        return quiet;
    }
}
