package dev.taskmesh.agent.execution;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A stdout line of the form {@code ::progress <percent> [stage text]} with percent 0 to 100: how a {@code command}
 * reports progress. The line stays in the log as well.
 */
record ProgressLine(int percent, @Nullable String stage) {

    private static final Pattern FORM = Pattern.compile("^::progress\\s+(\\d{1,3})(?:\\s+(.+))?$");

    /** The progress a line reports, or empty when it is an ordinary line (or percent is above 100). */
    static Optional<ProgressLine> parse(String line) {
        Matcher matcher = FORM.matcher(line);
        if (!matcher.matches()) {
            return Optional.empty();
        }
        int percent = Integer.parseInt(matcher.group(1));
        if (percent > 100) {
            return Optional.empty();
        }
        String stage = matcher.group(2) == null ? null : matcher.group(2).strip();
        return Optional.of(new ProgressLine(percent, stage == null || stage.isEmpty() ? null : stage));
    }
}
