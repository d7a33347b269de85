package pdagc.sem;

import pdagc.ast.Decl;
import pdagc.program.Module;

/** A block declaration with the module that declares it, whose imports its body sees. */
public record BlockRef(Module module, Decl.Block block) {
    public String name() {
        return block.name().text();
    }
}
