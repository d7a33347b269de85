package pdagc.format;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.tree.ParseTree;
import org.antlr.v4.runtime.tree.TerminalNode;
import pdagc.diag.Diagnostics;
import pdagc.source.SourceFile;
import pdagc.syntax.Parsing;
import pdagc.syntax.PdagLexer;
import pdagc.syntax.PdagParser;

/**
 * {@code pdagc fmt}: the canonical layout of a {@code .pdag} file. It exists so that the stdlib,
 * the examples and users' files share one layout that no one has to keep by hand.
 *
 * <p>It works from the lexer's token stream, hidden channel included, so every comment is kept
 * (its text exactly, less trailing whitespace on its lines); the parse tree only says where lines
 * break. Only whitespace between tokens ever changes. The rules:
 *
 * <ul>
 *   <li>Declarations start at column 0, separated by one blank line; consecutive imports by none
 *       or one, as written.
 *   <li>Tokens on a line are separated by one space, except none before {@code , ) ] :}, after
 *       {@code ( [ @}, around {@code .}, after a unary {@code -}, and before the {@code (} of a
 *       call, an annotation or a block's parameters. Binary operators ({@code + - * / %}) always
 *       have a space on each side.
 *   <li>A {@code { }} body of properties (model, cluster, ..., deploy) written on one line stays on
 *       one line: {@code { a 1  b 2 }}. Otherwise each property stays on the line it was written on,
 *       lines indented 2 spaces per level, properties sharing a line separated by two spaces, the
 *       closing brace on its own line. A property's value is always on one line.
 *   <li>A run of two or more consecutive lines that each hold one property (without a body) and a
 *       trailing {@code //} comment is a table: values start in one column (two spaces after the
 *       longest name) and comments in one column (two spaces after the longest value), the layout
 *       of {@code pdagc import hf}.
 *   <li>Block statements are one per line, indented 2, the {@code =} of the block's assignments
 *       aligned one space after its longest name; annotations follow after one space.
 *   <li>Blank lines collapse to at most one; none right after {@code {} or right before
 *       {@code }}. A comment after a token on the same line stays there, after one space; a comment
 *       on its own line keeps its own line at the indentation of what follows. A token that followed
 *       a {@code //} comment on the same line starts a new line indented 4 more.
 *   <li>No trailing whitespace; the file ends with exactly one newline.
 * </ul>
 *
 * Files with syntax errors are not formatted.
 */
public final class Formatter {
    /** What goes before a token: spaces on the same line, or a line break. */
    private sealed interface Sep permits Space, Line {}

    /** {@code n} spaces; after a line comment, a new line at {@code breakIndent} (-1: the line's indent + 4). */
    private record Space(int n, int breakIndent) implements Sep {}

    /** A new line at {@code indent} with min..max blank lines before; own-line comments in the gap at {@code commentIndent}. */
    private record Line(int indent, int min, int max, int commentIndent) implements Sep {}

    private final List<Token> tokens;
    private final Map<Integer, Sep> seps = new HashMap<>();
    private final Set<Integer> noSpaceBefore = new HashSet<>();
    private final Set<Integer> noSpaceAfter = new HashSet<>();
    private final Map<Integer, Integer> commentPad = new HashMap<>();

    private Formatter(List<Token> tokens) {
        this.tokens = tokens;
    }

    /** The formatted text; empty when the file has syntax errors (they are in {@code diagnostics}). */
    public static Optional<String> format(SourceFile file, Diagnostics diagnostics) {
        Parsing.parse(file, diagnostics);
        if (diagnostics.hasErrors()) return Optional.empty();
        PdagLexer lexer = new PdagLexer(CharStreams.fromString(file.text(), file.displayName()));
        lexer.removeErrorListeners();
        CommonTokenStream stream = new CommonTokenStream(lexer);
        stream.fill();
        PdagParser parser = new PdagParser(stream);
        parser.removeErrorListeners();
        PdagParser.FileContext tree = parser.file();
        Formatter f = new Formatter(stream.getTokens());
        f.spacing();
        f.file(tree);
        return Optional.of(f.emit());
    }

    // ---- spacing within a line ------------------------------------------------------------------

    private void spacing() {
        for (Token t : tokens) {
            if (t.getChannel() != Token.DEFAULT_CHANNEL) continue;
            int i = t.getTokenIndex();
            switch (t.getType()) {
                case PdagLexer.COMMA, PdagLexer.RPAREN, PdagLexer.RBRACK, PdagLexer.COLON -> noSpaceBefore.add(i);
                case PdagLexer.LPAREN, PdagLexer.LBRACK, PdagLexer.AT -> noSpaceAfter.add(i);
                case PdagLexer.DOT -> {
                    noSpaceBefore.add(i);
                    noSpaceAfter.add(i);
                }
                default -> {}
            }
        }
    }

    private void treeSpacing(ParseTree node) {
        if (node instanceof PdagParser.CallExprContext c) noSpaceBefore.add(c.getToken(PdagLexer.LPAREN, 0).getSymbol().getTokenIndex());
        if (node instanceof PdagParser.AnnotationContext a && a.getToken(PdagLexer.LPAREN, 0) != null) {
            noSpaceBefore.add(a.getToken(PdagLexer.LPAREN, 0).getSymbol().getTokenIndex());
        }
        if (node instanceof PdagParser.BlockDeclContext b) noSpaceBefore.add(b.getToken(PdagLexer.LPAREN, 0).getSymbol().getTokenIndex());
        if (node instanceof PdagParser.NegExprContext n) noSpaceAfter.add(n.getStart().getTokenIndex());
        for (int k = 0; k < node.getChildCount(); k++) {
            if (node.getChild(k) instanceof ParserRuleContext) treeSpacing(node.getChild(k));
        }
    }

    // ---- lines ----------------------------------------------------------------------------------

    private void file(PdagParser.FileContext f) {
        treeSpacing(f);
        List<PdagParser.DeclContext> decls = f.decl();
        for (int i = 0; i < decls.size(); i++) {
            PdagParser.DeclContext d = decls.get(i);
            boolean importPair = i > 0 && d instanceof PdagParser.ImportDeclContext && decls.get(i - 1) instanceof PdagParser.ImportDeclContext;
            seps.put(start(d), i == 0 || importPair ? new Line(0, 0, 1, 0) : new Line(0, 1, 1, 0));
            if (d instanceof PdagParser.EntityDeclContext e) body(e.body(), 0);
            else if (deployBody(d) != null) {
                PdagParser.DeployBodyContext db = deployBody(d);
                List<ParserRuleContext> items = new ArrayList<>();
                for (ParseTree c : db.children) if (c instanceof ParserRuleContext r) items.add(r);
                items(db.LBRACE().getSymbol(), items, db.RBRACE().getSymbol(), 0);
            } else if (d instanceof PdagParser.BlockDeclContext b) block(b, 0);
        }
    }

    /** The body of a deploy or a search declaration (requirements and properties), or null. */
    private static PdagParser.DeployBodyContext deployBody(PdagParser.DeclContext d) {
        if (d instanceof PdagParser.DeployDeclContext dd) return dd.deployBody();
        if (d instanceof PdagParser.SearchDeclContext sd) return sd.deployBody();
        return null;
    }

    private void body(PdagParser.BodyContext b, int indent) {
        items(b.LBRACE().getSymbol(), new ArrayList<>(b.property()), b.RBRACE().getSymbol(), indent);
    }

    private void items(Token open, List<ParserRuleContext> items, Token close, int indent) {
        boolean multi = breaksLine(open.getTokenIndex(), close.getTokenIndex());
        int prev = open.getTokenIndex();
        for (int k = 0; k < items.size(); k++) {
            ParserRuleContext item = items.get(k);
            int s = start(item);
            if (!multi) seps.put(s, new Space(k == 0 ? 1 : 2, -1));
            else if (k == 0 || breaksLine(prev, s)) seps.put(s, new Line(indent + 2, 0, k == 0 ? 0 : 1, indent + 2));
            else seps.put(s, new Space(2, indent + 2));
            PdagParser.BodyContext nested = nestedBody(item);
            if (nested != null) body(nested, indent + 2);
            prev = item.getStop().getTokenIndex();
        }
        seps.put(close.getTokenIndex(), multi ? new Line(indent, 0, 0, indent + 2) : new Space(1, -1));
        if (multi) tables(items);
    }

    private static PdagParser.BodyContext nestedBody(ParserRuleContext item) {
        if (item instanceof PdagParser.ValuePropertyContext v) return v.body();
        if (item instanceof PdagParser.NestedPropertyContext n) return n.body();
        return null;
    }

    private void block(PdagParser.BlockDeclContext b, int indent) {
        int width = 0;
        for (PdagParser.StmtContext s : b.stmt()) {
            if (s instanceof PdagParser.LetStmtContext l) width = Math.max(width, l.IDENT().getText().length());
        }
        List<PdagParser.StmtContext> stmts = b.stmt();
        for (int k = 0; k < stmts.size(); k++) {
            PdagParser.StmtContext s = stmts.get(k);
            seps.put(start(s), new Line(indent + 2, 0, k == 0 ? 0 : 1, indent + 2));
            if (s instanceof PdagParser.LetStmtContext l) {
                seps.put(((TerminalNode) l.getChild(1)).getSymbol().getTokenIndex(), new Space(1 + width - l.IDENT().getText().length(), -1));
            }
        }
        List<TerminalNode> braces = b.getTokens(PdagLexer.RBRACE);
        seps.put(braces.get(braces.size() - 1).getSymbol().getTokenIndex(), new Line(indent, 0, 0, indent + 2));
    }

    /** One row of a table: a property alone on its line with a trailing line comment. */
    private record Row(PdagParser.ValuePropertyContext property, int comment, int width) {}

    private void tables(List<ParserRuleContext> items) {
        List<Row> run = new ArrayList<>();
        for (ParserRuleContext item : items) {
            Row row = row(item);
            if (row == null || run.isEmpty() || !contiguous(run.get(run.size() - 1), row)) {
                align(run);
                run.clear();
            }
            if (row != null) run.add(row);
        }
        align(run);
    }

    private Row row(ParserRuleContext item) {
        if (!(item instanceof PdagParser.ValuePropertyContext v) || v.body() != null) return null;
        if (!(seps.get(start(v)) instanceof Line)) return null;
        int stop = v.getStop().getTokenIndex();
        for (int i = start(v); i <= stop; i++) if (isComment(tokens.get(i))) return null;
        for (int i = stop + 1; i < tokens.size(); i++) {
            Token t = tokens.get(i);
            if (t.getChannel() == Token.DEFAULT_CHANNEL) return null;
            if (t.getType() == PdagLexer.WS) {
                if (count(t.getText()) > 0) return null;
                continue;
            }
            if (t.getType() != PdagLexer.LINE_COMMENT) return null;
            int width = 0;
            int valueStart = start(v.value());
            for (int j = valueStart; j <= stop; j++) {
                Token u = tokens.get(j);
                if (u.getChannel() != Token.DEFAULT_CHANNEL) continue;
                if (j > valueStart) width += ((Space) sepFor(j, previousDefault(j))).n();
                width += u.getText().length();
            }
            return new Row(v, i, width);
        }
        return null;
    }

    private boolean contiguous(Row a, Row b) {
        int newlines = 0;
        for (int i = a.comment() + 1; i < start(b.property()); i++) {
            Token t = tokens.get(i);
            if (t.getType() != PdagLexer.WS) return false;
            newlines += count(t.getText());
        }
        return newlines == 1;
    }

    private void align(List<Row> run) {
        if (run.size() < 2) return;
        int names = 0;
        int values = 0;
        for (Row r : run) {
            names = Math.max(names, r.property().propertyName().getText().length());
            values = Math.max(values, r.width());
        }
        for (Row r : run) {
            seps.put(start(r.property().value()), new Space(names + 2 - r.property().propertyName().getText().length(), -1));
            commentPad.put(r.comment(), values + 2 - r.width());
        }
    }

    // ---- output ---------------------------------------------------------------------------------

    private String emit() {
        StringBuilder out = new StringBuilder();
        boolean started = false;
        boolean afterLineComment = false;
        boolean afterComment = false;
        int lineIndent = 0;
        int previous = -1;
        for (Token t : tokens) {
            if (t.getChannel() != Token.DEFAULT_CHANNEL && t.getType() != Token.EOF) continue;
            int j = t.getTokenIndex();
            boolean eof = t.getType() == Token.EOF;
            Sep sep = eof ? new Line(0, 0, 1, 0) : sepFor(j, previous);
            boolean firstPiece = true;
            int newlines = 0;
            for (int k = previous + 1; k < j; k++) {
                Token h = tokens.get(k);
                if (!isComment(h)) {
                    if (h.getType() == PdagLexer.WS) newlines += count(h.getText());
                    continue;
                }
                String text = normalize(h.getText());
                if (started && !afterLineComment && newlines == 0) {
                    out.append(" ".repeat(commentPad.getOrDefault(k, 1))).append(text);
                } else {
                    if (started) {
                        int blanks = sep instanceof Line l ? clamp(newlines - 1, firstPiece ? l.min() : 0, l.max()) : 0;
                        out.append("\n".repeat(1 + blanks));
                    }
                    int indent;
                    if (sep instanceof Line l) indent = l.commentIndent();
                    else indent = ((Space) sep).breakIndent() >= 0 ? ((Space) sep).breakIndent() : lineIndent + 4;
                    out.append(" ".repeat(indent)).append(text);
                    firstPiece = false;
                }
                started = true;
                afterLineComment = h.getType() == PdagLexer.LINE_COMMENT;
                afterComment = true;
                newlines = 0;
            }
            if (eof) {
                if (started) out.append('\n');
                break;
            }
            if (sep instanceof Line l) {
                if (started) out.append("\n".repeat(1 + clamp(newlines - 1, firstPiece ? l.min() : 0, l.max())));
                out.append(" ".repeat(l.indent()));
                lineIndent = l.indent();
            } else {
                Space s = (Space) sep;
                if (afterLineComment) {
                    int indent = s.breakIndent() >= 0 ? s.breakIndent() : lineIndent + 4;
                    out.append('\n').append(" ".repeat(indent));
                    if (s.breakIndent() >= 0) lineIndent = indent;
                } else {
                    out.append(" ".repeat(afterComment ? Math.max(1, s.n()) : s.n()));
                }
            }
            out.append(t.getText());
            started = true;
            afterLineComment = false;
            afterComment = false;
            previous = j;
        }
        return out.toString();
    }

    private Sep sepFor(int j, int previous) {
        Sep s = seps.get(j);
        if (s != null) return s;
        boolean none = noSpaceBefore.contains(j) || (previous >= 0 && noSpaceAfter.contains(previous));
        return new Space(none ? 0 : 1, -1);
    }

    private int previousDefault(int j) {
        for (int i = j - 1; i >= 0; i--) if (tokens.get(i).getChannel() == Token.DEFAULT_CHANNEL) return i;
        return -1;
    }

    /** Whether a line ends between two tokens: a newline in whitespace, or a line comment. */
    private boolean breaksLine(int from, int to) {
        for (int i = from + 1; i < to; i++) {
            Token t = tokens.get(i);
            if (t.getType() == PdagLexer.LINE_COMMENT) return true;
            if (t.getType() == PdagLexer.WS && count(t.getText()) > 0) return true;
        }
        return false;
    }

    /** A comment's text as written, with line ends normalized and trailing whitespace removed from each line. */
    static String normalize(String comment) {
        String[] lines = comment.replace("\r\n", "\n").replace('\r', '\n').split("\n", -1);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < lines.length; i++) {
            if (i > 0) b.append('\n');
            b.append(lines[i].stripTrailing());
        }
        return b.toString();
    }

    static boolean isComment(Token t) {
        return t.getType() == PdagLexer.LINE_COMMENT || t.getType() == PdagLexer.BLOCK_COMMENT;
    }

    private static int start(ParserRuleContext c) {
        return c.getStart().getTokenIndex();
    }

    /** Line ends in whitespace: LF, CR LF or a lone CR. */
    private static int count(String ws) {
        int n = 0;
        for (int i = 0; i < ws.length(); i++) {
            char c = ws.charAt(i);
            if (c == '\n' || (c == '\r' && (i + 1 == ws.length() || ws.charAt(i + 1) != '\n'))) n++;
        }
        return n;
    }

    private static int clamp(int v, int min, int max) {
        return Math.max(min, Math.min(max, v));
    }
}
