package pdagc.front;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import pdagc.ast.CompilationUnit;
import pdagc.ast.Decl;
import pdagc.diag.Diags;
import pdagc.diag.Diagnostics;
import pdagc.program.Module;
import pdagc.program.Names;
import pdagc.program.Program;
import pdagc.source.SourceFile;
import pdagc.source.Span;
import pdagc.syntax.Parsing;

/**
 * Loads a root file and everything it imports, transitively: {@code import std.x} from the stdlib,
 * {@code import a.b} as {@code a/b.pdag} and {@code import "p.pdag"} relative to the importing
 * file. Import cycles and over-deep chains are diagnostics. The stdlib's {@code blocks} and
 * {@code hardware} modules are always loaded so that defaults and qualified names resolve.
 */
public final class Loader {
    static final int MAX_DEPTH = 32;
    private static final List<String> PRELUDE = List.of("std.blocks", "std.hardware");

    private final Diagnostics diagnostics;
    private final Map<String, Module> modules = new LinkedHashMap<>();
    private final Map<String, Module> byKey = new LinkedHashMap<>();
    private final Deque<String> stack = new ArrayDeque<>();

    public Loader(Diagnostics diagnostics) {
        this.diagnostics = diagnostics;
    }

    /** Loads a file given on the command line; empty if it cannot be read or parsed. */
    public Optional<Program> loadRoot(Path path, String displayName) {
        Optional<SourceFile> file = SourceReader.read(path, displayName, diagnostics, null);
        return file.flatMap(this::loadRoot);
    }

    /** Loads in-memory source (tests, the language server). */
    public Optional<Program> loadRoot(SourceFile file) {
        String stem = stem(file.displayName());
        Module root = load(stem, "file:" + (file.path() != null ? file.path().toAbsolutePath().normalize() : file.displayName()), file, 0);
        for (String std : PRELUDE) loadStd(std, null, 0);
        if (root == null) return Optional.empty();
        return Optional.of(new Program(root, List.copyOf(modules.values())));
    }

    private Module load(String name, String key, SourceFile file, int depth) {
        Optional<CompilationUnit> unit = Parsing.parse(file, diagnostics);
        if (unit.isEmpty()) return null;
        Module module = new Module(name, unit.get());
        byKey.put(key, module);
        modules.put(key, module);
        stack.push(key);
        for (Decl decl : unit.get().decls()) {
            if (decl instanceof Decl.Import imp) resolveImport(module, file, imp, depth + 1);
        }
        stack.pop();
        collectDecls(module);
        return module;
    }

    private void collectDecls(Module module) {
        for (Decl decl : module.declList()) {
            if (decl instanceof Decl.Import) continue;
            pdagc.ast.Ident name = Names.nameOf(decl);
            Decl previous = module.decls().putIfAbsent(name.text(), decl);
            if (previous != null) {
                diagnostics.add(Diags.declaredTwice(name.span(), name.text(), Names.nameOf(previous).span()));
            }
        }
    }

    private void resolveImport(Module into, SourceFile from, Decl.Import imp, int depth) {
        if (depth > MAX_DEPTH) {
            diagnostics.add(Diags.importsTooDeep(imp.span(), MAX_DEPTH));
            return;
        }
        String alias;
        Module target;
        if (imp.module() != null) {
            String name = imp.module().text();
            alias = imp.alias() != null ? imp.alias().text() : name;
            target = imp.module().parts().get(0).equals("std")
                    ? loadStd(name, imp, depth)
                    : loadPath(from, String.join("/", imp.module().parts()) + ".pdag", name, imp, depth);
        } else {
            alias = imp.alias() != null ? imp.alias().text() : stem(imp.path());
            target = loadPath(from, imp.path(), stem(imp.path()), imp, depth);
        }
        if (target != null) into.imports().put(alias, target);
    }

    private Module loadStd(String name, Decl.Import imp, int depth) {
        String key = "std:" + name;
        if (cycle(key, imp)) return null;
        if (byKey.containsKey(key)) return byKey.get(key);
        String relative = name.replace('.', '/') + ".pdag";
        try {
            Optional<String> text = Stdlib.read(relative);
            if (text.isEmpty()) {
                if (imp != null) notFound(imp, name, "the standard library has no `" + relative + "`");
                return null;
            }
            Path path = Stdlib.directory().map(d -> d.resolve(relative)).orElse(null);
            return load(name, key, SourceFile.of(Stdlib.displayName(relative), path, text.get()), depth);
        } catch (IOException e) {
            if (imp != null) notFound(imp, name, e.getMessage());
            return null;
        }
    }

    private Module loadPath(SourceFile from, String relative, String name, Decl.Import imp, int depth) {
        Path base = from.path() != null ? from.path().toAbsolutePath().getParent() : Path.of("").toAbsolutePath();
        Path target;
        try {
            target = base.resolve(relative).normalize();
        } catch (java.nio.file.InvalidPathException e) {
            notFound(imp, relative, "not a valid path");
            return null;
        }
        String key = "file:" + target;
        if (cycle(key, imp)) return null;
        if (byKey.containsKey(key)) return byKey.get(key);
        if (!Files.isRegularFile(target)) {
            notFound(imp, imp.module() != null ? imp.module().text() : relative, "no file `" + relative + "` next to " + from.displayName());
            return null;
        }
        String display = from.path() != null ? displayRelative(from, relative) : relative;
        Optional<SourceFile> file = SourceReader.read(target, display, diagnostics, imp.span());
        return file.map(f -> load(name, key, f, depth)).orElse(null);
    }

    private static String displayRelative(SourceFile from, String relative) {
        Path parent = Path.of(from.displayName()).getParent();
        return (parent == null ? Path.of(relative) : parent.resolve(relative)).normalize().toString();
    }

    private boolean cycle(String key, Decl.Import imp) {
        if (!stack.contains(key)) return false;
        List<String> chain = new ArrayList<>();
        List<String> order = new ArrayList<>(stack);
        java.util.Collections.reverse(order);
        boolean on = false;
        for (String k : order) {
            if (k.equals(key)) on = true;
            if (on) chain.add(byKey.get(k) != null ? byKey.get(k).unit().file().displayName() : k);
        }
        chain.add(chain.isEmpty() ? key : chain.get(0));
        diagnostics.add(Diags.importCycle(imp.span(), chain));
        return true;
    }

    private void notFound(Decl.Import imp, String name, String why) {
        Span at = imp.module() != null ? imp.module().span() : imp.span();
        diagnostics.add(Diags.moduleNotFound(at, name, why));
    }

    private static String stem(String name) {
        String base = Path.of(name).getFileName() == null ? name : Path.of(name).getFileName().toString();
        int dot = base.lastIndexOf('.');
        return dot > 0 ? base.substring(0, dot) : base;
    }
}
