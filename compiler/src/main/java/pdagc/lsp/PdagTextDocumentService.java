package pdagc.lsp;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.eclipse.lsp4j.CompletionItem;
import org.eclipse.lsp4j.CompletionItemKind;
import org.eclipse.lsp4j.CompletionList;
import org.eclipse.lsp4j.CompletionParams;
import org.eclipse.lsp4j.DefinitionParams;
import org.eclipse.lsp4j.DiagnosticRelatedInformation;
import org.eclipse.lsp4j.DiagnosticSeverity;
import org.eclipse.lsp4j.DidChangeTextDocumentParams;
import org.eclipse.lsp4j.DidCloseTextDocumentParams;
import org.eclipse.lsp4j.DidOpenTextDocumentParams;
import org.eclipse.lsp4j.DidSaveTextDocumentParams;
import org.eclipse.lsp4j.Hover;
import org.eclipse.lsp4j.HoverParams;
import org.eclipse.lsp4j.Location;
import org.eclipse.lsp4j.LocationLink;
import org.eclipse.lsp4j.MarkupContent;
import org.eclipse.lsp4j.MarkupKind;
import org.eclipse.lsp4j.Position;
import org.eclipse.lsp4j.PublishDiagnosticsParams;
import org.eclipse.lsp4j.Range;
import org.eclipse.lsp4j.TextDocumentContentChangeEvent;
import org.eclipse.lsp4j.jsonrpc.messages.Either;
import org.eclipse.lsp4j.services.LanguageClient;
import org.eclipse.lsp4j.services.TextDocumentService;
import pdagc.analysis.Analysis;
import pdagc.analysis.Memory;
import pdagc.ast.Decl;
import pdagc.ast.Stmt;
import pdagc.diag.Diagnostic;
import pdagc.diag.Label;
import pdagc.diag.Severity;
import pdagc.driver.MaterializedPlan;
import pdagc.program.Module;
import pdagc.program.Names;
import pdagc.program.Program;
import pdagc.sem.Phase;
import pdagc.source.SourceFile;
import pdagc.source.Span;
import pdagc.spmd.SpmdNode;
import pdagc.units.Units;

/**
 * The document half of the language server: keeps each open document compiled, publishes its
 * diagnostics, and answers hover, definition and completion from what the compiler made of it.
 * Requests are answered from the last compiled state; nothing here re-implements a pass.
 */
final class PdagTextDocumentService implements TextDocumentService {
    static final List<String> KEYWORDS = List.of("import", "as", "block", "return", "model", "cluster", "workload", "strategy", "gpu",
            "deploy", "search", "on", "with", "for", "require", "per");
    static final List<String> MODEL_PROPERTIES = List.of("vocab", "hidden", "heads", "layers", "ffn", "kv_heads", "head_dim", "experts", "top",
            "expert_ffn", "first_dense", "moe_every", "norm", "act", "embed", "layer", "dense_layer", "head", "shared_ffn", "positions", "q_lora_rank",
            "kv_lora_rank", "qk_nope_dim", "qk_rope_dim", "v_head_dim", "mtp", "mtp_layer", "dropout");
    static final List<String> STRATEGY_PROPERTIES = List.of("mesh", "expert_mesh", "sequence_parallel", "micro_batches", "schedule",
            "virtual_stages", "stage_layers", "zero", "recompute", "overlap_grad_reduce");
    static final List<String> WORKLOAD_PROPERTIES = List.of("batch", "seq", "phase", "context", "dtype", "input", "output", "rate", "requests", "max_batch", "token_budget", "chunked_prefill",
            "kernels", "cuda_graphs", "routing", "decode_attention", "expert_kernels", "optimizer");

    private final Map<String, Document> documents = new ConcurrentHashMap<>();
    private final Map<String, Program> lastProgram = new ConcurrentHashMap<>();
    private final Supplier<LanguageClient> client;

    PdagTextDocumentService(Supplier<LanguageClient> client) {
        this.client = client;
    }

    // ---- synchronization and diagnostics

    @Override
    public void didOpen(DidOpenTextDocumentParams params) {
        if (!Params.present("textDocument/didOpen", params, params == null ? null : params.getTextDocument())) return;
        if (!Params.present("textDocument/didOpen", params.getTextDocument().getUri(), params.getTextDocument().getText())) return;
        update(params.getTextDocument().getUri(), params.getTextDocument().getText());
    }

    @Override
    public void didChange(DidChangeTextDocumentParams params) {
        if (!Params.present("textDocument/didChange", params, params == null ? null : params.getTextDocument(), params == null ? null : params.getContentChanges())) return;
        List<TextDocumentContentChangeEvent> changes = params.getContentChanges();
        if (changes.isEmpty()) return;
        TextDocumentContentChangeEvent last = changes.get(changes.size() - 1);
        if (!Params.present("textDocument/didChange", params.getTextDocument().getUri(), last, last == null ? null : last.getText())) return;
        // Full synchronization: the last change holds the whole text.
        update(params.getTextDocument().getUri(), changes.get(changes.size() - 1).getText());
    }

    @Override
    public void didClose(DidCloseTextDocumentParams params) {
        if (!Params.present("textDocument/didClose", params, params == null ? null : params.getTextDocument())) return;
        if (!Params.present("textDocument/didClose", params.getTextDocument().getUri())) return;
        String uri = params.getTextDocument().getUri();
        documents.remove(uri);
        lastProgram.remove(uri);
        LanguageClient c = client.get();
        if (c != null) c.publishDiagnostics(new PublishDiagnosticsParams(uri, List.of()));
    }

    @Override
    public void didSave(DidSaveTextDocumentParams params) {}

    private void update(String uri, String text) {
        Document doc = Document.analyze(uri, text);
        documents.put(uri, doc);
        doc.program().ifPresent(p -> lastProgram.put(uri, p));
        LanguageClient c = client.get();
        if (c != null) c.publishDiagnostics(new PublishDiagnosticsParams(uri, convert(doc)));
    }

    static List<org.eclipse.lsp4j.Diagnostic> convert(Document doc) {
        List<org.eclipse.lsp4j.Diagnostic> out = new ArrayList<>();
        for (Diagnostic d : doc.diagnostics()) {
            Span span = d.span();
            boolean here = inFile(span, doc.file());
            StringBuilder message = new StringBuilder(d.message());
            if (!here && !span.isNone()) message.append(" (at ").append(span.location()).append(')');
            if (d.primary().message() != null && !d.primary().message().isEmpty()) message.append("\n").append(d.primary().message());
            for (String note : d.notes()) message.append("\nnote: ").append(note);
            if (d.help() != null) message.append("\nhelp: ").append(d.help());
            Range range = here ? Positions.range(span) : new Range(new Position(0, 0), new Position(0, 0));
            org.eclipse.lsp4j.Diagnostic lsp = new org.eclipse.lsp4j.Diagnostic(range, message.toString(),
                    d.severity() == Severity.ERROR ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning, "pdagc", d.code().id());
            List<DiagnosticRelatedInformation> related = new ArrayList<>();
            for (Label l : d.secondary()) {
                if (inFile(l.span(), doc.file())) related.add(new DiagnosticRelatedInformation(new Location(doc.uri(), Positions.range(l.span())), l.message()));
            }
            if (!related.isEmpty()) lsp.setRelatedInformation(related);
            out.add(lsp);
        }
        if (doc.internalError() != null) {
            out.add(new org.eclipse.lsp4j.Diagnostic(new Range(new Position(0, 0), new Position(0, 0)), doc.internalError(),
                    DiagnosticSeverity.Error, "pdagc", "internal"));
        }
        return out;
    }

    private static boolean inFile(Span span, SourceFile file) {
        return span != null && (span.file() == file || span.file().equals(file));
    }

    // ---- hover

    @Override
    public CompletableFuture<Hover> hover(HoverParams params) {
        String uri = Params.uri(params, params == null ? null : params.getTextDocument(), "textDocument/hover");
        Position position = Params.position(params.getPosition(), "textDocument/hover");
        Document doc = documents.get(uri);
        if (doc == null || doc.program().isEmpty()) return CompletableFuture.completedFuture(null);
        int offset = Positions.offset(doc.file(), position);
        var unit = doc.program().get().root().unit();
        String text = null;
        Range range = null;
        Optional<Syntax.LetAt> let = Syntax.letAt(unit, offset);
        Optional<Decl.Deploy> deploy = Syntax.deployNameAt(unit, offset);
        Optional<Syntax.PropertyAt> prop = Syntax.propertyNameAt(unit, offset);
        if (let.isPresent()) {
            text = tensorHover(doc, let.get());
            range = Positions.range(let.get().let().name().span());
        } else if (deploy.isPresent()) {
            text = deployHover(doc, deploy.get());
            range = Positions.range(deploy.get().name().span());
        } else if (prop.isPresent()) {
            var p = prop.get().property();
            String value = p.value() != null ? p.value().span().text() : "{ ... }";
            text = "`" + p.name().text() + " " + value + "` (" + prop.get().entity().kind().keyword() + " " + prop.get().entity().nameText() + ")";
            range = Positions.range(p.name().span());
        } else {
            Optional<Syntax.Reference> ref = Syntax.referenceAt(unit, offset);
            if (ref.isPresent()) {
                List<Program.Found> found = doc.program().get().candidates(doc.program().get().root(), ref.get().name());
                if (found.size() == 1) {
                    Program.Found f = found.get(0);
                    text = Names.kindOf(f.decl()) + " `" + Names.nameOf(f.decl()).text() + "` (" + f.module().name() + ")";
                    range = Positions.range(ref.get().name().span());
                }
            }
        }
        if (text == null) return CompletableFuture.completedFuture(null);
        return CompletableFuture.completedFuture(new Hover(new MarkupContent(MarkupKind.MARKDOWN, text), range));
    }

    private static String tensorHover(Document doc, Syntax.LetAt at) {
        String name = at.let().name().text();
        String header = "`" + name + "` in block `" + at.block().name().text() + "`";
        Span let = at.let().span();
        for (MaterializedPlan plan : doc.plans()) {
            SpmdNode match = null;
            for (SpmdNode n : plan.spmd().nodes()) {
                if (!lastSegment(n.name()).equals(name)) continue;
                if (n.span() != null && inFile(n.span(), doc.file()) && let.start() <= n.span().start() && n.span().start() < let.end()) {
                    match = n;
                    break;
                }
                if (match == null) match = n;
            }
            if (match != null) {
                return header + "\n\n" + "deploy `" + plan.deployment().name() + "`, `" + match.name() + "`:\n\n"
                        + "- global shape: `" + match.shape() + "`\n"
                        + "- sharding: `" + match.sharding() + "`\n"
                        + "- local shape: `" + match.local() + "`";
            }
        }
        return header + "\n\n(no deploy in this file compiles it)";
    }

    private static String lastSegment(String path) {
        int dot = path.lastIndexOf('.');
        return dot < 0 ? path : path.substring(dot + 1);
    }

    private static String deployHover(Document doc, Decl.Deploy d) {
        for (MaterializedPlan p : doc.plans()) {
            if (!p.deployment().name().equals(d.name().text()) || p.analysis() == null) continue;
            Analysis a = p.analysis();
            pdagc.analysis.Serving serving = a.serving();
            Analysis.GpuFigures worst = serving != null ? serving.peakMemory() : a.largestMemory();
            Memory.PerGpu m = worst.memory();
            Analysis.Step s = a.step();
            boolean atRate = serving != null && serving.arrivals() != null && serving.arrivals().simulated() != null;
            String time = serving == null ? (s.phase() == Phase.PREFILL ? "TTFT" : "TPOT") + ": " + Units.seconds(s.seconds())
                    : "TTFT: " + Units.seconds(serving.ttft()) + (atRate ? " (p99 " + Units.seconds(serving.ttftP99()) + ")" : "")
                            + ", TPOT: " + (serving.decode() == null ? "n/a" : Units.seconds(serving.tpot())
                                    + (atRate ? " (p99 " + Units.seconds(serving.tpotP99()) + ")" : ""))
                            + ", end-to-end: " + Units.seconds(serving.endToEnd()) + ", " + pdagc.analysis.Figures.tokensPerSecond(serving.throughputPerGpu())
                            + " per GPU";
            return String.format(Locale.ROOT, "deploy `%s`: %d GPUs, mesh `%s`%n%n"
                            + "- memory per GPU (largest, GPU %d): %s of %s (weights %s, KV cache %s, activations %s, workspace %s)%n"
                            + "- %s",
                    p.deployment().name(), p.spmd().mesh().size(), p.spmd().mesh(), worst.gpu(), Units.bytes(m.total()),
                    Units.bytes(worst.capacityBytes()), Units.bytes(m.weightBytes()), Units.bytes(m.kvCacheBytes()),
                    Units.bytes(m.activationBytes()), Units.bytes(m.workspaceBytes()), time);
        }
        return "deploy `" + d.name().text() + "` (does not compile yet)";
    }

    // ---- definition

    @Override
    public CompletableFuture<Either<List<? extends Location>, List<? extends LocationLink>>> definition(DefinitionParams params) {
        String uri = Params.uri(params, params == null ? null : params.getTextDocument(), "textDocument/definition");
        Position position = Params.position(params.getPosition(), "textDocument/definition");
        Document doc = documents.get(uri);
        List<Location> out = new ArrayList<>();
        if (doc != null && doc.program().isPresent()) definitions(doc, Positions.offset(doc.file(), position), out);
        return CompletableFuture.completedFuture(Either.forLeft(out));
    }

    private static void definitions(Document doc, int offset, List<Location> out) {
        Program program = doc.program().get();
        Module root = program.root();
        Optional<Decl.Import> imp = Syntax.importAt(root.unit(), offset);
        if (imp.isPresent()) {
            Module target = root.imports().get(importAlias(imp.get()));
            if (target != null) location(doc, target.unit().file(), 0, 0).ifPresent(out::add);
            return;
        }
        Optional<Syntax.Reference> ref = Syntax.referenceAt(root.unit(), offset);
        if (ref.isEmpty()) return;
        if (ref.get().name().isSimple() && ref.get().block() != null) {
            for (Stmt s : ref.get().block().body()) {
                if (s instanceof Stmt.Let let && let.name().text().equals(ref.get().name().last()) && let.span().start() < ref.get().name().span().start()) {
                    out.clear();
                    out.add(new Location(doc.uri(), Positions.range(let.name().span())));
                }
            }
            if (!out.isEmpty()) return;
        }
        for (Program.Found f : program.candidates(root, ref.get().name())) {
            Span name = Names.nameOf(f.decl()).span();
            location(doc, name.file(), name.start(), name.end()).ifPresent(out::add);
        }
    }

    private static String importAlias(Decl.Import imp) {
        if (imp.alias() != null) return imp.alias().text();
        if (imp.module() != null) return imp.module().text();
        String file = Path.of(imp.path()).getFileName().toString();
        return file.endsWith(".pdag") ? file.substring(0, file.length() - 5) : file;
    }

    private static Optional<Location> location(Document doc, SourceFile file, int start, int end) {
        String uri;
        if (file == doc.file() || file.equals(doc.file())) {
            uri = doc.uri();
        } else if (file.path() != null) {
            uri = file.path().toAbsolutePath().normalize().toUri().toString();
        } else {
            return Optional.empty(); // a stdlib file read from the class path has no file to open
        }
        return Optional.of(new Location(uri, new Range(Positions.position(file, start), Positions.position(file, end))));
    }

    // ---- completion

    @Override
    public CompletableFuture<Either<List<CompletionItem>, CompletionList>> completion(CompletionParams params) {
        String uri = Params.uri(params, params == null ? null : params.getTextDocument(), "textDocument/completion");
        Map<String, CompletionItem> items = new LinkedHashMap<>();
        for (String k : KEYWORDS) add(items, k, CompletionItemKind.Keyword, "keyword");
        Program program = Optional.ofNullable(documents.get(uri))
                .flatMap(Document::program)
                .orElse(lastProgram.get(uri));
        if (program != null) {
            List<Module> visible = new ArrayList<>();
            visible.add(program.root());
            visible.addAll(program.root().imports().values());
            for (Module m : program.modules()) if (m.name().startsWith("std.")) visible.add(m);
            for (Module m : visible) {
                for (Decl d : m.decls().values()) {
                    String kind = Names.kindOf(d);
                    add(items, Names.nameOf(d).text(), kind.equals("block") ? CompletionItemKind.Function : CompletionItemKind.Class,
                            kind + " (" + m.name() + ")");
                }
            }
        }
        for (String op : new java.util.TreeSet<>(pdagc.lower.Lowering.builtinNames())) add(items, op, CompletionItemKind.Function, "built-in operation");
        for (String p : MODEL_PROPERTIES) add(items, p, CompletionItemKind.Property, "model property");
        for (String p : STRATEGY_PROPERTIES) add(items, p, CompletionItemKind.Property, "strategy property");
        for (String p : WORKLOAD_PROPERTIES) add(items, p, CompletionItemKind.Property, "workload property");
        for (String m : pdagc.sem.Requirement.METRICS) add(items, m, CompletionItemKind.EnumMember, "requirement metric");
        return CompletableFuture.completedFuture(Either.forRight(new CompletionList(false, new ArrayList<>(items.values()))));
    }

    private static void add(Map<String, CompletionItem> items, String label, CompletionItemKind kind, String detail) {
        if (items.containsKey(label)) return;
        CompletionItem item = new CompletionItem(label);
        item.setKind(kind);
        item.setDetail(detail);
        items.put(label, item);
    }
}
