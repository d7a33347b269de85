package pdagc.front;

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
        if (decl instanceof Decl.Block b) return b.name();
        if (decl instanceof Decl.Import i) return i.alias();
        throw new IllegalStateException("unhandled declaration " + decl);
    }

    public static String kindOf(Decl decl) {
        if (decl instanceof Decl.Entity e) return e.kind().keyword();
        if (decl instanceof Decl.Deploy) return "deploy";
        if (decl instanceof Decl.Block) return "block";
        return "import";
    }

    /** The closest candidate within an edit distance of a third of the name's length, if any. */
    public static Optional<String> suggest(String name, Collection<String> candidates) {
        int limit = Math.max(1, name.length() / 3);
        return candidates.stream()
                .filter(c -> !c.equals(name))
                .map(c -> new Object[] {c, distance(name.toLowerCase(java.util.Locale.ROOT), c.toLowerCase(java.util.Locale.ROOT))})
                .filter(p -> (int) p[1] <= limit)
                .min(Comparator.comparingInt((Object[] p) -> (int) p[1]).thenComparing(p -> (String) p[0]))
                .map(p -> (String) p[0]);
    }

    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
