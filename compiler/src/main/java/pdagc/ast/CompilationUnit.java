package pdagc.ast;

import java.util.List;
import pdagc.source.SourceFile;

/** One parsed file. */
public record CompilationUnit(SourceFile file, List<Decl> decls) {}
