package dev.taskmesh.agent.handler;

import java.nio.file.Path;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/** One running attempt of a task, as a {@link TaskHandler} sees it. Its methods are safe to call from any thread. */
public interface TaskContext {

    /** The task's id. */
    UUID taskId();

    /** The attempt number, 1 for the first run; a retried task runs again with a higher number. */
    int attempt();

    /** The task's input JSON, as submitted. */
    JsonNode input();

    /**
     * An empty folder for the attempt's output files. Every file written here (sub-folders included) is uploaded when
     * the handler returns, whatever the outcome.
     */
    Path outputDir();

    /**
     * Reports progress to the platform.
     *
     * @param percent 0 to 100, or null when unknown
     * @param stage   name of the current step, e.g. {@code Resizing images}, or null to keep the current one; a new
     *                stage closes the previous one as a step with its duration
     * @throws IllegalArgumentException when percent is outside 0 to 100
     */
    void progress(@Nullable Integer percent, @Nullable String stage);

    /** Adds a line to the attempt's log, which the platform shows live and keeps with the result. */
    void log(String line);

    /** Whether the attempt was cancelled or timed out; a long-running handler checks this between steps. */
    boolean isCancelled();
}
