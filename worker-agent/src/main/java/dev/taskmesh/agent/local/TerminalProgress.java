package dev.taskmesh.agent.local;

import dev.taskmesh.agent.execution.AttemptListener;
import dev.taskmesh.agent.execution.AttemptRun;
import dev.taskmesh.contract.agent.LogLine;
import dev.taskmesh.contract.agent.LogStream;
import java.io.PrintWriter;
import org.jspecify.annotations.Nullable;

/**
 * Shows a running attempt on the terminal: log lines as they come and a progress bar. On a terminal the bar stays on
 * the last line and is redrawn in place; otherwise every progress change is a plain line.
 */
final class TerminalProgress implements AttemptListener {

    private static final int BAR_WIDTH = 30;
    private static final String CLEAR_LINE = "\r\033[K";

    private final PrintWriter out;
    private final boolean terminal;
    private @Nullable Integer percent;
    private @Nullable String stage;
    private boolean barShown;

    TerminalProgress(PrintWriter out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    @Override
    public synchronized void onLog(LogLine line) {
        if (barShown) {
            out.print(CLEAR_LINE);
        }
        out.println(line.stream() == LogStream.AGENT ? AttemptRun.AGENT_PREFIX + line.text() : line.text());
        if (barShown) {
            out.print(bar(percent, stage));
        }
        out.flush();
    }

    @Override
    public synchronized void onProgress(@Nullable Integer newPercent, @Nullable String newStage) {
        if (newPercent != null) {
            percent = newPercent;
        }
        if (newStage != null) {
            stage = newStage;
        }
        if (terminal) {
            out.print(CLEAR_LINE + bar(percent, stage));
            barShown = true;
        } else {
            out.println("progress: " + (percent == null ? "?" : percent + "%") + (stage == null ? "" : " " + stage));
        }
        out.flush();
    }

    /** Ends the bar's line, so that what follows starts on a line of its own. */
    synchronized void finish() {
        if (barShown) {
            out.println();
            barShown = false;
        }
        out.flush();
    }

    /** {@code [#########.....................]  30% Resizing images}. */
    static String bar(@Nullable Integer percent, @Nullable String stage) {
        int filled = percent == null ? 0 : Math.round(percent * BAR_WIDTH / 100f);
        return "[" + "#".repeat(filled) + ".".repeat(BAR_WIDTH - filled) + "] "
                + (percent == null ? "  ?" : String.format("%3d", percent)) + "%" + (stage == null ? "" : " " + stage);
    }
}
