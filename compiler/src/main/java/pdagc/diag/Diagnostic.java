package pdagc.diag;

import java.util.ArrayList;
import java.util.List;
import pdagc.source.Span;

/**
 * A problem in the user's input, as data: a stable code, a message, a primary label at a span,
 * secondary labels, notes and a help line. Rendered once, by {@link DiagnosticRenderer}.
 */
public record Diagnostic(
        Code code, String message, Label primary, List<Label> secondary, List<String> notes, String help) {

    public Severity severity() {
        return code.severity();
    }

    public Span span() {
        return primary.span();
    }

    /** Only {@link Diags}' typed factories build a diagnostic from a code (package-private; DiagsTest also checks the sources). */
    static Builder of(Code code, Span span, Object... args) {
        return new Builder(code, span, code.format(args));
    }

    /** Collects the optional parts of a diagnostic before it is reported. */
    public static final class Builder {
        private final Code code;
        private final String message;
        private final Span span;
        private String label = "";
        private final List<Label> secondary = new ArrayList<>();
        private final List<String> notes = new ArrayList<>();
        private String help;

        Builder(Code code, Span span, String message) {
            this.code = code;
            this.span = span;
            this.message = message;
        }

        public Builder label(String text) {
            this.label = text;
            return this;
        }

        public Builder secondary(Span at, String text) {
            if (at != null && !at.isNone()) secondary.add(new Label(at, text));
            return this;
        }

        public Builder note(String text) {
            notes.add(text);
            return this;
        }

        public Builder help(String text) {
            this.help = text;
            return this;
        }

        public Diagnostic build() {
            return new Diagnostic(code, message, new Label(span, label), List.copyOf(secondary), List.copyOf(notes), help);
        }
    }
}
