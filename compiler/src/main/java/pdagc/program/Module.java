package pdagc.program;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import pdagc.ast.CompilationUnit;
import pdagc.ast.Decl;

/**
 * One loaded file: its module name ({@code std.blocks}, or the file's stem for the root), its AST,
 * the modules it imports (by the name it imports them under) and its declarations by name.
 */
public final class Module {
    private final String name;
    private final CompilationUnit unit;
    private final Map<String, Module> imports = new LinkedHashMap<>();
    private final Map<String, Decl> decls = new LinkedHashMap<>();

    public Module(String name, CompilationUnit unit) {
        this.name = name;
        this.unit = unit;
    }

    public String name() {
        return name;
    }

    public CompilationUnit unit() {
        return unit;
    }

    public Map<String, Module> imports() {
        return imports;
    }

    public Map<String, Decl> decls() {
        return decls;
    }

    public List<Decl> declList() {
        return unit.decls();
    }

    @Override
    public String toString() {
        return name;
    }
}
