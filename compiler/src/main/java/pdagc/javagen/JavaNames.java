package pdagc.javagen;

import java.util.Collection;
import java.util.HashSet;
import java.util.Set;

/**
 * Java identifiers for names from user files. A name keeps its ASCII letters, digits and
 * underscores; every other character (dots of op paths, punctuation, non-ASCII letters) becomes an
 * underscore; a leading digit gets an underscore before it; a keyword, literal or restricted name
 * gets one after it. A {@link Scope} then makes names unique where they share a namespace, by
 * numbering later claimants in the order they claim, so the same plan always gets the same names.
 */
final class JavaNames {
    private JavaNames() {}

    /** Java's keywords, literals and restricted or contextual identifiers (Java 17 and later). */
    static final Set<String> RESERVED = Set.of("abstract", "assert", "boolean", "break", "byte", "case", "catch", "char", "class",
            "const", "continue", "default", "do", "double", "else", "enum", "extends", "final", "finally", "float", "for", "goto", "if",
            "implements", "import", "instanceof", "int", "interface", "long", "native", "new", "package", "private", "protected", "public",
            "return", "short", "static", "strictfp", "super", "switch", "synchronized", "this", "throw", "throws", "transient", "try",
            "void", "volatile", "while", "true", "false", "null", "_", "var", "yield", "record", "sealed", "permits", "exports", "module",
            "open", "opens", "provides", "requires", "to", "transitive", "uses", "with", "when");

    /** A valid Java identifier made from {@code raw} (not yet unique). */
    static String identifier(String raw) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            boolean keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
            b.append(keep ? c : '_');
        }
        if (b.length() == 0 || Character.isDigit(b.charAt(0))) b.insert(0, '_');
        String id = b.toString();
        return RESERVED.contains(id) ? id + "_" : id;
    }

    /** An identifier for a type: as {@link #identifier}, with its first letter upper case. */
    static String typeName(String raw) {
        String id = identifier(raw);
        return Character.isLowerCase(id.charAt(0)) ? Character.toUpperCase(id.charAt(0)) + id.substring(1) : id;
    }

    /** A namespace of generated Java (a class's members, a method's locals): every claimed name is distinct. */
    static final class Scope {
        private final Set<String> taken;

        Scope(Collection<String> reserved) {
            this.taken = new HashSet<>(reserved);
        }

        /** A new scope that starts with this one's names taken (a method inside a class). */
        Scope child() {
            return new Scope(taken);
        }

        /** A unique identifier for {@code raw}: its sanitized form, numbered {@code _2, _3, ...} when taken. */
        String claim(String raw) {
            String base = identifier(raw);
            String name = base;
            for (int k = 2; taken.contains(name); k++) name = base + "_" + k;
            taken.add(name);
            return name;
        }
    }
}
