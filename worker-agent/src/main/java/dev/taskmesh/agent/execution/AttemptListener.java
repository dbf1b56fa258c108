package dev.taskmesh.agent.execution;

import dev.taskmesh.contract.agent.LogLine;
import org.jspecify.annotations.Nullable;

/**
 * Receives what a running attempt reports: the connected agent forwards it to the platform, {@code run-local} prints
 * it. Called from the attempt's reader threads, possibly at the same time; must not block for long.
 */
public interface AttemptListener {

    /** A new log line; lines arrive in {@code seq} order. */
    void onLog(LogLine line);

    /** New progress; {@code stage} null keeps the current stage. */
    void onProgress(@Nullable Integer percent, @Nullable String stage);
}
