package pdagc.diag;

/** How bad a diagnostic is: errors stop the compilation (exit 1), warnings and notes do not. */
public enum Severity {
    ERROR("error"),
    WARNING("warning");

    private final String label;

    Severity(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
