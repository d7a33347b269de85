package pdagc.diag;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The sink every pass reports into. Passes never throw for user errors: they report and go on, so
 * that one run shows every problem.
 */
public final class Diagnostics {
    private final List<Diagnostic> all = new ArrayList<>();
    private int errorReports;

    public void report(Diagnostic d) {
        if (d.severity() == Severity.ERROR) errorReports++;
        for (Diagnostic seen : all) {
            if (seen.code() == d.code() && seen.span().equals(d.span()) && seen.message().equals(d.message())) return;
        }
        all.add(d);
    }

    public void add(Diagnostic.Builder builder) {
        report(builder.build());
    }

    public boolean hasErrors() {
        return all.stream().anyMatch(d -> d.severity() == Severity.ERROR);
    }

    public int errorCount() {
        return (int) all.stream().filter(d -> d.severity() == Severity.ERROR).count();
    }

    /**
     * Every error reported so far, counting one that repeats an earlier one (same code, place and
     * message, shown once). A pass asks whether it found a problem by comparing this before and
     * after: two deploys that share a strategy or a model report the same error twice, and the
     * second must be refused as the first was, though only one copy is shown.
     */
    public int errorReports() {
        return errorReports;
    }

    public int warningCount() {
        return (int) all.stream().filter(d -> d.severity() == Severity.WARNING).count();
    }

    /** In source order (file, then offset), so that output is deterministic. */
    public List<Diagnostic> sorted() {
        List<Diagnostic> copy = new ArrayList<>(all);
        copy.sort(Comparator.comparing((Diagnostic d) -> d.span().file().displayName())
                .thenComparingInt(d -> d.span().start())
                .thenComparing(d -> d.code().id()));
        return copy;
    }

    public List<Diagnostic> all() {
        return List.copyOf(all);
    }
}
