package pdagc.ir;

import java.util.ArrayList;
import java.util.List;

/**
 * The operations blocks may call beyond the fixed ones: elementwise functions and contractions,
 * each a whole definition. {@link #STANDARD} holds the built-in functions and no extra
 * contraction; a program made with a larger set (a test, a tool embedding pdagc) can call more.
 */
public record OpSet(List<Elementwise> functions, List<ContractionDef> contractions) {
    public static final OpSet STANDARD = new OpSet(List.of(UnaryFn.values()), List.of());

    public OpSet {
        functions = List.copyOf(functions);
        contractions = List.copyOf(contractions);
    }

    /** This set and {@code fn}. */
    public OpSet with(Elementwise fn) {
        List<Elementwise> f = new ArrayList<>(functions);
        f.add(fn);
        return new OpSet(f, contractions);
    }

    /** This set and {@code def}. */
    public OpSet with(ContractionDef def) {
        List<ContractionDef> c = new ArrayList<>(contractions);
        c.add(def);
        return new OpSet(functions, c);
    }

    /** The elementwise function named {@code name}, or null. */
    public Elementwise function(String name) {
        for (Elementwise f : functions) if (f.text().equals(name)) return f;
        return null;
    }

    /** The contraction named {@code name}, or null. */
    public ContractionDef contraction(String name) {
        for (ContractionDef c : contractions) if (c.name().equals(name)) return c;
        return null;
    }

    /** Every name this set adds to the fixed operations. */
    public List<String> names() {
        List<String> out = new ArrayList<>();
        for (Elementwise f : functions) out.add(f.text());
        for (ContractionDef c : contractions) out.add(c.name());
        return out;
    }
}
