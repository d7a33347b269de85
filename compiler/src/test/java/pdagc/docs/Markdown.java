package pdagc.docs;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The parts of a Markdown document that the docs test reads: its fenced code blocks (with the
 * info string, the line they start on and a "not run" marker before them), its headings (as
 * GitHub makes anchors of them) and its links.
 */
final class Markdown {
    private Markdown() {}

    /** The comment, on the line right before a console block's fence, that exempts it, with its reason. */
    static final Pattern NOT_RUN = Pattern.compile("^<!-- not run by the docs test: (.+?) -->\\s*$");

    private static final Pattern FENCE = Pattern.compile("^```\\s*([A-Za-z0-9_+-]*)\\s*$");
    private static final Pattern HEADING = Pattern.compile("^(#{1,6})\\s+(.*?)\\s*#*\\s*$");
    private static final Pattern LINK = Pattern.compile("\\[([^\\]]*)\\]\\(([^)\\s]+)\\)");

    /**
     * A fenced block: its info string ("" when none), its lines, the 1-based line of its opening
     * fence, and the reason it is not run ("" when it is run).
     */
    record Block(String info, List<String> lines, int line, String notRun) {}

    /** A link: its target as written and the 1-based line it is on. */
    record Link(String target, int line) {}

    static List<Block> blocks(List<String> lines) {
        List<Block> blocks = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            Matcher open = FENCE.matcher(lines.get(i));
            if (!open.matches()) continue;
            String notRun = "";
            if (i > 0) {
                Matcher m = NOT_RUN.matcher(lines.get(i - 1));
                if (m.matches()) notRun = m.group(1);
            }
            List<String> body = new ArrayList<>();
            int j = i + 1;
            while (j < lines.size() && !lines.get(j).matches("^```\\s*$")) body.add(lines.get(j++));
            if (j == lines.size()) throw new IllegalArgumentException("line " + (i + 1) + ": a code block that is never closed");
            blocks.add(new Block(open.group(1), body, i + 1, notRun));
            i = j;
        }
        return blocks;
    }

    /** The anchors of the document's headings, as GitHub makes them (outside code blocks). */
    static List<String> anchors(List<String> lines) {
        List<String> anchors = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        boolean inCode = false;
        for (String line : lines) {
            if (line.startsWith("```")) inCode = !inCode;
            if (inCode) continue;
            Matcher m = HEADING.matcher(line);
            if (!m.matches()) continue;
            String slug = slug(m.group(2));
            String anchor = slug;
            int n = 1;
            while (seen.contains(anchor)) anchor = slug + "-" + n++;
            seen.add(anchor);
            anchors.add(anchor);
        }
        return anchors;
    }

    /** GitHub's anchor of a heading: lower case, markup and punctuation dropped, spaces as dashes. */
    static String slug(String heading) {
        String text = heading.replaceAll("\\[([^\\]]*)\\]\\([^)]*\\)", "$1").toLowerCase(java.util.Locale.ROOT);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isLetterOrDigit(c) || c == '-' || c == '_') b.append(c);
            else if (c == ' ') b.append('-');
        }
        return b.toString();
    }

    /** The links of the document, outside code blocks and inline code. */
    static List<Link> links(List<String> lines) {
        List<Link> links = new ArrayList<>();
        boolean inCode = false;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.startsWith("```")) inCode = !inCode;
            if (inCode) continue;
            Matcher m = LINK.matcher(line.replaceAll("`[^`]*`", ""));
            while (m.find()) links.add(new Link(m.group(2), i + 1));
        }
        return links;
    }
}
