package pdagc.program;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import pdagc.ast.Decl;
import pdagc.ast.QualifiedName;
import pdagc.diag.Diagnostic;
import pdagc.diag.Diags;
import pdagc.diag.Diagnostics;

/**
 * Every module a compilation loaded, and name lookup across them. A simple name is looked up in
 * the module that uses it, then in the modules it imports; a qualified name {@code a.b.x} names
 * declaration {@code x} of module {@code a.b} (an import, an alias, or any loaded stdlib module).
 * {@code ops} are the elementwise functions and contractions its blocks may call beyond the
 * fixed built-ins.
 */
public record Program(Module root, List<Module> modules, pdagc.ir.OpSet ops) {
    /** A program whose blocks call the standard operations. */
    public Program(Module root, List<Module> modules) {
        this(root, modules, pdagc.ir.OpSet.STANDARD);
    }

    /** This program, its blocks calling the operations of {@code ops}. */
    public Program withOps(pdagc.ir.OpSet ops) {
        return new Program(root, modules, ops);
    }

    /** A declaration found by name, with the module that declares it. */
    public record Found(Module module, Decl decl) {}

    public Optional<Found> lookup(Module from, QualifiedName name, String wantedKind, Diagnostics diagnostics) {
        List<Found> found = candidates(from, name);
        if (found.isEmpty()) {
            Diagnostic.Builder d = Diags.declarationNotFound(name.span(), wantedKind, name.text());
            Optional<Module> std = name.isSimple() ? stdModuleDeclaring(name.last(), wantedKind) : Optional.empty();
            if (std.isPresent()) {
                String module = std.get().name();
                d.help("`" + name.text() + "` is declared in " + module + ": add `import " + module + "`, or write `"
                        + module + "." + name.text() + "`");
            } else {
                Names.suggest(name.last(), visibleNames(from, wantedKind)).ifPresent(s -> d.help("did you mean `" + s + "`?"));
            }
            diagnostics.add(d);
            return Optional.empty();
        }
        if (found.size() > 1) {
            List<String> where = new ArrayList<>();
            for (Found f : found) where.add(f.module().name());
            Diagnostic.Builder d = Diags.ambiguousName(name.span(), name.text(), name.last(), where);
            for (Found f : found) d.secondary(Names.nameOf(f.decl()).span(), "declared in " + f.module().name() + " here");
            diagnostics.add(d);
            return Optional.empty();
        }
        Found f = found.get(0);
        String kind = Names.kindOf(f.decl());
        if (!kind.equals(wantedKind)) {
            diagnostics.add(Diags.wrongKind(name.span(), name.text(), kind, wantedKind, Names.nameOf(f.decl()).span()));
            return Optional.empty();
        }
        return Optional.of(f);
    }

    /** Looks up without reporting; used for optional names. */
    public List<Found> candidates(Module from, QualifiedName name) {
        List<Found> found = new ArrayList<>();
        if (name.isSimple()) {
            Decl own = from.decls().get(name.last());
            if (own != null) return List.of(new Found(from, own));
            for (Module m : from.imports().values()) {
                Decl d = m.decls().get(name.last());
                if (d != null && found.stream().noneMatch(f -> f.decl() == d)) found.add(new Found(m, d));
            }
            return found;
        }
        String moduleName = String.join(".", name.parts().subList(0, name.parts().size() - 1));
        Module m = from.imports().get(moduleName);
        if (m == null) m = modules.stream().filter(x -> x.name().equals(moduleName) && moduleName.startsWith("std.")).findFirst().orElse(null);
        if (m == null && moduleName.equals(from.name())) m = from;
        if (m != null && m.decls().containsKey(name.last())) found.add(new Found(m, m.decls().get(name.last())));
        return found;
    }

    /** A standard-library module that declares {@code simple} as a {@code kind}, for the "import it" hint. */
    private Optional<Module> stdModuleDeclaring(String simple, String kind) {
        return modules.stream()
                .filter(m -> m.name().startsWith("std.") && m.decls().containsKey(simple) && Names.kindOf(m.decls().get(simple)).equals(kind))
                .findFirst();
    }

    /** The names of the {@code kind} declarations visible by simple name from a module. */
    public TreeSet<String> visibleNames(Module from, String kind) {
        TreeSet<String> names = new TreeSet<>();
        for (Decl d : from.decls().values()) if (Names.kindOf(d).equals(kind)) names.add(Names.nameOf(d).text());
        for (Module m : from.imports().values()) {
            for (Decl d : m.decls().values()) if (Names.kindOf(d).equals(kind)) names.add(Names.nameOf(d).text());
        }
        return names;
    }
}
