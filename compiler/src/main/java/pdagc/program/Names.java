package pdagc.program;

import java.util.Collection;
import java.util.Comparator;
import java.util.Optional;
import pdagc.ast.Decl;
import pdagc.ast.Ident;

/** Small helpers about names: a declaration's name and kind, and "did you mean" suggestions. */
public final class Names {
    private Names() {}

    public static Ident nameOf(Decl decl) {
        if (decl instanceof Decl.Entity e) return e.name();
        if (decl instanceof Decl.Deploy d) return d.name();
        if (decl instanceof Decl.Search s) return s.name();
        if (decl instanceof Decl.Block b) return b.name();
        if (decl instanceof Decl.Import i) return i.alias();
        throw new IllegalStateException("unhandled declaration " + decl);
    }

    public static String kindOf(Decl decl) {
        if (decl instanceof Decl.Entity e) return e.kind().keyword();
        if (decl instanceof Decl.Deploy) return "deploy";
        if (decl instanceof Decl.Search) return "search";
        if (decl instanceof Decl.Block) return "block";
        return "import";
    }

    /**
     * The closest candidate within an edit distance of a third of the name's length, if any; a
     * swap of two neighbouring letters counts as one edit. Among equally close candidates, one
     * with the same first letter wins (`tpp` is `tp`, not `pp`), then the first in name order.
     */
    public static Optional<String> suggest(String name, Collection<String> candidates) {
        int limit = Math.max(1, name.length() / 3);
        String lower = name.toLowerCase(java.util.Locale.ROOT);
        return candidates.stream()
                .filter(c -> !c.equals(name))
                .map(c -> new Object[] {c, distance(lower, c.toLowerCase(java.util.Locale.ROOT))})
                .filter(p -> (int) p[1] <= limit)
                .min(Comparator.comparingInt((Object[] p) -> (int) p[1])
                        .thenComparing(p -> sameFirstLetter(lower, (String) p[0]) ? 0 : 1)
                        .thenComparing(p -> (String) p[0]))
                .map(p -> (String) p[0]);
    }

    private static boolean sameFirstLetter(String lower, String candidate) {
        return !lower.isEmpty() && !candidate.isEmpty() && Character.toLowerCase(candidate.charAt(0)) == lower.charAt(0);
    }

    /** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) d[i][0] = i;
        for (int j = 0; j <= b.length(); j++) d[0][j] = j;
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
