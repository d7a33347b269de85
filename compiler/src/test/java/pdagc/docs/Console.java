package pdagc.docs;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import pdagc.cli.Main;

/**
 * The console sessions of the docs, read and replayed. A {@code console} block is a sequence of
 * commands, each a line that starts with {@code $ } (continued by a trailing backslash), followed
 * by the output it prints: stdout and stderr as a terminal shows them. A line {@code ...} in the
 * output stands for any number of lines, and {@code ...} inside a line for any text.
 *
 * <p>What runs is the small part of a shell that the docs use, each command run as written from
 * the checkout's root, but with what it writes kept in a directory of its own:
 * <ul>
 *   <li>{@code bin/pdagc ARGS} (or {@code pdagc ARGS}): {@code pdagc.cli.Main} in-process. A
 *       relative path names a file that an earlier command of the same document wrote, else a file
 *       of the checkout; what {@code -o} (or {@code search --write}) names is written in the document's directory. Both
 *       directories are stripped from what pdagc prints, so it reads as run from the root;</li>
 *   <li>{@code cat > FILE <<'EOF'} and the lines up to {@code EOF}: writes FILE;
 *       {@code cat FILE...}: prints them;</li>
 *   <li>{@code sed 's/OLD/NEW/' FILE > OUT}: a literal replacement, the first on each line
 *       ({@code g}: every one);</li>
 *   <li>{@code CMD > FILE}: CMD's stdout into FILE; {@code CMD; echo "exit $?"}: prints the exit
 *       code (otherwise a command must exit 0); {@code for V in A B; do CMD $V; done}.</li>
 * </ul>
 * Anything else fails the test, so that no command of the docs goes untried.
 */
final class Console {
    /** The line the launcher prints when it builds pdagc (read from bin/pdagc): not pdagc's own output. */
    final String launcherLine;
    private final Path root;
    private final Path dir;

    Console(Path root, Path dir, String launcherLine) {
        this.root = root;
        this.dir = dir;
        this.launcherLine = launcherLine;
    }

    /** One command of a console block: its text, the heredoc it writes (or null), the output shown. */
    record Command(String text, int line, List<String> heredoc, List<String> expected) {}

    /** What a command printed (stdout and stderr in order) and its exit code. */
    record Outcome(String output, int exit) {}

    private static final Pattern HEREDOC = Pattern.compile("^cat > (\\S+) <<\\s*'?(\\w+)'?$");
    private static final Pattern SHOW_EXIT = Pattern.compile("^(.*); echo \"exit \\$\\?\"$");
    private static final Pattern FOR = Pattern.compile("^for (\\w+) in ([^;]+); do (.+); done$");

    /** The commands of a console block that starts at line {@code first} (its fence). */
    static List<Command> parse(List<String> lines, int first) {
        List<Command> commands = new ArrayList<>();
        int i = 0;
        while (i < lines.size()) {
            String line = lines.get(i);
            int at = first + 1 + i;
            if (!line.startsWith("$ ")) {
                throw new IllegalArgumentException("line " + at + ": a console block holds commands (`$ ...`) each followed by its output; found `" + line + "`");
            }
            StringBuilder text = new StringBuilder(line.substring(2).strip());
            i++;
            while (text.toString().endsWith("\\") && i < lines.size()) {
                text.setLength(text.length() - 1);
                text.append(' ').append(lines.get(i++).strip());
            }
            List<String> heredoc = null;
            Matcher h = HEREDOC.matcher(text);
            if (h.matches()) {
                heredoc = new ArrayList<>();
                while (i < lines.size() && !lines.get(i).equals(h.group(2))) heredoc.add(lines.get(i++));
                if (i == lines.size()) throw new IllegalArgumentException("line " + at + ": the here-document never ends with " + h.group(2));
                i++;
            }
            List<String> expected = new ArrayList<>();
            while (i < lines.size() && !lines.get(i).startsWith("$ ")) expected.add(lines.get(i++));
            commands.add(new Command(text.toString(), at, heredoc, expected));
        }
        return commands;
    }

    /** Runs one command in this console's directory. */
    Outcome run(Command c) throws IOException {
        String text = c.text();
        boolean showExit = false;
        Matcher e = SHOW_EXIT.matcher(text);
        if (e.matches()) {
            text = e.group(1).strip();
            showExit = true;
        }
        Outcome o;
        Matcher h = HEREDOC.matcher(text);
        Matcher f = FOR.matcher(text);
        if (c.heredoc() != null && h.matches()) {
            Files.writeString(dir.resolve(h.group(1)), String.join("\n", c.heredoc()) + "\n");
            o = new Outcome("", 0);
        } else if (f.matches()) {
            StringBuilder out = new StringBuilder();
            int exit = 0;
            for (String value : f.group(2).strip().split("\\s+")) {
                Outcome one = simple(f.group(3).replace("${" + f.group(1) + "}", value).replace("$" + f.group(1), value));
                out.append(one.output());
                exit = one.exit();
            }
            o = new Outcome(out.toString(), exit);
        } else {
            o = simple(text);
        }
        if (showExit) {
            String out = o.output();
            if (!out.isEmpty() && !out.endsWith("\n")) out += "\n";
            o = new Outcome(out + "exit " + o.exit() + "\n", o.exit());
        }
        return o;
    }

    /** A command without loops: a program, its arguments, and at most a redirection of stdout. */
    private Outcome simple(String text) throws IOException {
        List<String> words = words(text);
        Path redirect = null;
        int gt = words.indexOf(">");
        if (gt >= 0) {
            if (gt != words.size() - 2) throw new IllegalArgumentException("the docs test reads `CMD > FILE` only: " + text);
            redirect = dir.resolve(words.get(gt + 1));
            words = words.subList(0, gt);
        }
        if (words.isEmpty()) throw new IllegalArgumentException("no command: " + text);
        String program = words.get(0);
        List<String> args = words.subList(1, words.size());
        StringBuilder shown = new StringBuilder();
        StringBuilder stdout = new StringBuilder();
        boolean toFile = redirect != null;
        int exit;
        switch (program) {
            case "bin/pdagc", "pdagc" -> {
                PrintWriter out = new PrintWriter(new Tee(stdout, toFile ? null : shown), true);
                PrintWriter err = new PrintWriter(new Tee(null, shown), true);
                exit = Main.run(pdagcArgs(args), out, err);
                out.flush();
                err.flush();
            }
            case "cat" -> {
                for (String a : args) stdout.append(Files.readString(input(a)));
                if (!toFile) shown.append(stdout);
                exit = 0;
            }
            case "sed" -> {
                if (args.size() != 2) throw new IllegalArgumentException("the docs test reads `sed 's/OLD/NEW/' FILE` only: " + text);
                stdout.append(sed(args.get(0), Files.readString(input(args.get(1)))));
                if (!toFile) shown.append(stdout);
                exit = 0;
            }
            default -> throw new IllegalArgumentException("the docs test cannot run `" + program + "`; "
                    + "run it by hand and mark the block `<!-- not run by the docs test: REASON -->`");
        }
        if (redirect != null) Files.writeString(redirect, stdout.toString());
        return new Outcome(clean(shown.toString()), exit);
    }

    /** pdagc's arguments, with the files they name resolved as the class comment says. */
    private String[] pdagcArgs(List<String> args) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            boolean output = i > 0 && (args.get(i - 1).equals("-o") || args.get(i - 1).equals("--output") || args.get(i - 1).equals("--write"));
            if (output && !a.equals("-")) out.add(dir.resolve(a).toString());
            else if (a.startsWith("-")) out.add(a);
            else out.add(input(a).toString());
        }
        return out.toArray(String[]::new);
    }

    /** A file a command reads: written earlier in this document, else the checkout's; else as given. */
    private Path input(String name) {
        Path own = dir.resolve(name);
        if (Files.exists(own)) return own;
        Path repo = root.resolve(name);
        if (Files.exists(repo)) return repo;
        return Path.of(name);
    }

    /** What pdagc printed, as run from the checkout's root. */
    private String clean(String output) {
        String a = dir.toString() + "/";
        String b = root.toString() + "/";
        // The longer first, in case one directory holds the other.
        if (a.length() < b.length()) {
            String t = a;
            a = b;
            b = t;
        }
        return output.replace(a, "").replace(b, "");
    }

    private static String sed(String script, String input) {
        Matcher m = Pattern.compile("^s/([^/]*)/([^/]*)/(g?)$").matcher(script);
        if (!m.matches() || m.group(1).matches(".*[.*\\[\\]^$\\\\].*") || m.group(2).matches(".*[&\\\\].*")) {
            throw new IllegalArgumentException("the docs test reads `sed 's/OLD/NEW/'` with literal text only: " + script);
        }
        List<String> out = new ArrayList<>();
        for (String line : input.split("\n", -1)) {
            out.add(m.group(3).isEmpty() ? line.replaceFirst(Pattern.quote(m.group(1)), Matcher.quoteReplacement(m.group(2)))
                    : line.replace(m.group(1), m.group(2)));
        }
        return String.join("\n", out);
    }

    /** A command line split as a shell splits it: whitespace, single and double quotes, backslashes. */
    static List<String> words(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder w = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isWhitespace(c)) {
                if (w != null) words.add(w.toString());
                w = null;
                continue;
            }
            if (w == null) w = new StringBuilder();
            if (c == '\'') {
                int end = text.indexOf('\'', i + 1);
                if (end < 0) throw new IllegalArgumentException("an unclosed quote: " + text);
                w.append(text, i + 1, end);
                i = end;
            } else if (c == '"') {
                int end = text.indexOf('"', i + 1);
                if (end < 0) throw new IllegalArgumentException("an unclosed quote: " + text);
                String quoted = text.substring(i + 1, end);
                if (quoted.contains("$") || quoted.contains("\\")) throw new IllegalArgumentException("the docs test reads no expansion in double quotes: " + text);
                w.append(quoted);
                i = end;
            } else if (c == '\\' && i + 1 < text.length()) {
                w.append(text.charAt(++i));
            } else if ("|&;<`$(){}*?".indexOf(c) >= 0) {
                throw new IllegalArgumentException("the docs test reads no `" + c + "` here: " + text);
            } else {
                w.append(c);
            }
        }
        if (w != null) words.add(w.toString());
        return words;
    }

    /**
     * Whether {@code actual} is what {@code expected} shows: line by line (trailing blanks
     * ignored), where a line {@code ...} stands for any lines and {@code ...} in a line for any
     * text.
     */
    static boolean matches(List<String> expected, List<String> actual) {
        int n = expected.size();
        int m = actual.size();
        boolean[][] ok = new boolean[n + 1][m + 1];
        ok[n][m] = true;
        for (int i = n - 1; i >= 0; i--) {
            String x = expected.get(i).stripTrailing();
            boolean gap = x.strip().equals("...");
            Pattern p = gap ? null : line(x);
            for (int j = m; j >= 0; j--) {
                if (gap) ok[i][j] = ok[i + 1][j] || (j < m && ok[i][j + 1]);
                else ok[i][j] = j < m && p.matcher(actual.get(j).stripTrailing()).matches() && ok[i + 1][j + 1];
            }
        }
        return ok[0][0];
    }

    private static Pattern line(String expected) {
        StringBuilder regex = new StringBuilder();
        String[] parts = expected.split("\\.\\.\\.", -1);
        for (int k = 0; k < parts.length; k++) {
            if (k > 0) regex.append(".*");
            regex.append(Pattern.quote(parts[k]));
        }
        return Pattern.compile(regex.toString());
    }

    /** The lines of a command's output, without the trailing empty ones. */
    static List<String> lines(String output) {
        List<String> lines = new ArrayList<>(List.of(output.split("\n", -1)));
        while (!lines.isEmpty() && lines.get(lines.size() - 1).isBlank()) lines.remove(lines.size() - 1);
        return lines;
    }

    /** A writer into one or two buffers: a stream's own text, and the terminal's. */
    private static final class Tee extends Writer {
        private final StringBuilder own;
        private final StringBuilder shown;

        Tee(StringBuilder own, StringBuilder shown) {
            this.own = own;
            this.shown = shown;
        }

        @Override
        public void write(char[] cbuf, int off, int len) {
            if (own != null) own.append(cbuf, off, len);
            if (shown != null) shown.append(cbuf, off, len);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    }
}
