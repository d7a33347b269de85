package pdagc.front;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import pdagc.ast.Expr;
import pdagc.ast.Property;
import pdagc.ast.QualifiedName;
import pdagc.diag.Diagnostic;
import pdagc.diag.Diags;
import pdagc.diag.Diagnostics;
import pdagc.program.Names;
import pdagc.source.Span;
import pdagc.units.Dimension;
import pdagc.units.Units;

/**
 * Reads the properties of one declaration by name and type, and at the end reports the ones that
 * no reader asked for (with a suggestion), so a typo is never silently ignored. Integer properties
 * may use the integer properties read before them ({@code head_dim hidden/heads}).
 */
public final class Props {
    private final String owner;
    private final Span ownerSpan;
    private final Diagnostics diagnostics;
    private final Map<String, Property> byName = new LinkedHashMap<>();
    private final Set<String> known = new LinkedHashSet<>();
    private final Map<String, Long> ints = new LinkedHashMap<>();
    /** Properties whose nested body a reader took ({@link #nested}); any other body is reported by {@link #finish}. */
    private final Set<String> nestedRead = new LinkedHashSet<>();

    public Props(String owner, Span ownerSpan, List<Property> properties, Diagnostics diagnostics) {
        this.owner = owner;
        this.ownerSpan = ownerSpan;
        this.diagnostics = diagnostics;
        for (Property p : properties) {
            Property first = byName.putIfAbsent(p.name().text(), p);
            if (first != null) {
                diagnostics.add(Diags.propertyTwice(p.name().span(), p.name().text(), first.name().span()));
            }
        }
    }

    /** Whether the declaration gives {@code name}, without reading it (a reader still has to ask for it). */
    public boolean has(String name) {
        return byName.containsKey(name);
    }

    public Optional<Property> get(String name) {
        known.add(name);
        return Optional.ofNullable(byName.get(name));
    }

    /**
     * The nested properties of {@code name value { ... }} (empty when the property or its body is
     * absent), which the caller reads; a body no reader takes is reported by {@link #finish}.
     */
    public List<Property> nested(String name) {
        known.add(name);
        nestedRead.add(name);
        Property p = byName.get(name);
        return p == null ? List.of() : p.body();
    }

    public Span spanOf(String name) {
        Property p = byName.get(name);
        return p == null ? ownerSpan : p.span();
    }

    public Map<String, Span> spans() {
        Map<String, Span> out = new LinkedHashMap<>();
        byName.forEach((k, v) -> out.put(k, v.span()));
        return out;
    }

    public Map<String, Long> ints() {
        return ints;
    }

    /** A whole number, positive unless {@code min} says otherwise; {@code dflt} null means required. */
    public OptionalLong integer(String name, Long dflt, long min) {
        Optional<Property> p = get(name);
        if (p.isEmpty()) {
            if (dflt == null) {
                missing(name);
                return OptionalLong.empty();
            }
            ints.put(name, dflt);
            return OptionalLong.of(dflt);
        }
        Expr value = valueOf(p.get());
        if (value == null) return OptionalLong.empty();
        OptionalLong v = new IntEval(ints, diagnostics).eval(value);
        if (v.isPresent() && v.getAsLong() < min) {
            diagnostics.add(Diags.valueTooSmall(value.span(), name, min, v.getAsLong()));
            return OptionalLong.empty();
        }
        v.ifPresent(x -> ints.put(name, x));
        return v;
    }

    /** A quantity in the given dimension, in base units (bytes, seconds, bytes/s, FLOP/s). */
    public Optional<Double> quantity(String name, Dimension dim, Double dflt) {
        Optional<Property> p = get(name);
        if (p.isEmpty()) {
            if (dflt == null) missing(name);
            return Optional.ofNullable(dflt);
        }
        Expr value = valueOf(p.get());
        if (value == null) return Optional.empty();
        if (!(value instanceof Expr.Number n) || n.unit() == null) {
            diagnostics.add(Diags.quantityWithoutUnit(value.span(), dim, IntEval.describe(value)));
            return Optional.empty();
        }
        Units.Unit unit = Units.of(n.unit());
        if (unit.dimension() != dim) {
            diagnostics.add(Diags.wrongUnit(value.span(), n.unit(), unit.dimension(), name, dim));
            return Optional.empty();
        }
        double v = n.value().doubleValue() * unit.factor();
        if (!(v > 0) || Double.isInfinite(v)) {
            diagnostics.add(Diags.quantityNotPositive(value.span(), name));
            return Optional.empty();
        }
        return Optional.of(v);
    }

    /** A plain decimal fraction in (0, 1], such as an efficiency. */
    public Optional<Double> fraction(String name, double dflt) {
        return decimal(name, dflt, false);
    }

    /** A probability in [0, 1), such as a dropout rate (1 would drop everything). */
    public Optional<Double> probability(String name, double dflt) {
        return decimal(name, dflt, true);
    }

    /** A plain decimal number: in (0, 1] for a fraction, in [0, 1) for a probability. */
    private Optional<Double> decimal(String name, double dflt, boolean probability) {
        Optional<Property> p = get(name);
        if (p.isEmpty()) return Optional.of(dflt);
        Expr value = valueOf(p.get());
        if (value == null) return Optional.empty();
        if (!(value instanceof Expr.Number n) || n.unit() != null) {
            diagnostics.add(Diags.notAFraction(value.span(), IntEval.describe(value)));
            return Optional.empty();
        }
        BigDecimal v = n.value();
        if (probability ? v.signum() < 0 || v.compareTo(BigDecimal.ONE) >= 0 : v.signum() <= 0 || v.compareTo(BigDecimal.ONE) > 0) {
            diagnostics.add(probability ? Diags.probabilityOutOfRange(value.span(), name, n.text()) : Diags.fractionOutOfRange(value.span(), name, n.text()));
            return Optional.empty();
        }
        return Optional.of(v.doubleValue());
    }

    /** One of a fixed set of words. */
    public Optional<String> choice(String name, List<String> options, String dflt) {
        Optional<Property> p = get(name);
        if (p.isEmpty()) {
            if (dflt == null) missing(name);
            return Optional.ofNullable(dflt);
        }
        Expr value = valueOf(p.get());
        if (value == null) return Optional.empty();
        if (value instanceof Expr.Name n && n.name().isSimple() && options.contains(n.name().text())) {
            return Optional.of(n.name().text());
        }
        Optional<String> suggestion = value instanceof Expr.Name n ? Names.suggest(n.name().text(), options) : Optional.empty();
        diagnostics.add(Diags.notAChoice(value.span(), name, options, suggestion));
        return Optional.empty();
    }

    /** A (possibly qualified) name of another declaration. */
    public Optional<QualifiedName> reference(String name, boolean required) {
        Optional<Property> p = get(name);
        if (p.isEmpty()) {
            if (required) missing(name);
            return Optional.empty();
        }
        Expr value = valueOf(p.get());
        if (value == null) return Optional.empty();
        if (value instanceof Expr.Name n) return Optional.of(n.name());
        diagnostics.add(Diags.notAName(value.span(), IntEval.describe(value)));
        return Optional.empty();
    }

    /** Reports every property that no reader asked for. */
    public void finish() {
        finish(null);
    }

    /**
     * Reports every property that no reader asked for, and every property nested in one that takes
     * none ({@code batch 8 { ... }}); {@code help} explains a body that takes none.
     */
    public void finish(String help) {
        List<String> unknown = new ArrayList<>();
        for (Map.Entry<String, Property> e : byName.entrySet()) {
            // A body without a value was reported where the value is read (E0204).
            if (known.contains(e.getKey()) && !nestedRead.contains(e.getKey()) && e.getValue().value() != null && !e.getValue().body().isEmpty()) {
                new Props("`" + e.getKey() + "` of " + owner, e.getValue().name().span(), e.getValue().body(), diagnostics).finish();
            }
            if (known.contains(e.getKey())) continue;
            unknown.add(e.getKey());
            Diagnostic.Builder d = Diags.unknownProperty(e.getValue().name().span(), e.getKey(), owner);
            Optional<String> s = Names.suggest(e.getKey(), known);
            if (s.isPresent()) d.help("did you mean `" + s.get() + "`?");
            else if (!known.isEmpty()) d.note("known properties: " + String.join(", ", known));
            else d.note(owner + " takes no properties");
            if (known.isEmpty() && help != null) d.help(help);
            diagnostics.add(d);
        }
    }

    private Expr valueOf(Property p) {
        if (p.value() == null) {
            diagnostics.add(Diags.propertyWithoutValue(p.name().span(), p.name().text()));
            return null;
        }
        return p.value();
    }

    private void missing(String name) {
        diagnostics.add(Diags.missingProperty(ownerSpan, owner.split(" ")[0], owner.contains(" ") ? owner.split(" ", 2)[1] : owner, name));
    }

}
