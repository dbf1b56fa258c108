package dev.taskmesh.agent.handler;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeoutException;
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

    /**
     * Submits a child task through the agent: the platform stores it with this task as its parent and this task's
     * owner, and dispatches it like any task (possibly to another agent). Blocks until the platform answers (at most a
     * minute; a submission waiting for a reconnect is sent again, and creates the child only once). Cancelling this
     * task cancels its children.
     *
     * @param type         the child's task type, e.g. {@code command} or a handler's type
     * @param input        the child's input JSON (for {@code command}: {@code {"argv": [...], "env": {...}}})
     * @param requirements what the agent that runs the child must have, or null for none
     * @return the child's task id
     * @throws ChildTaskException   when the platform refused the child or did not answer in time
     * @throws InterruptedException when the attempt is cancelled meanwhile
     */
    UUID submitChild(String type, JsonNode input, @Nullable Requirements requirements) throws InterruptedException;

    /**
     * Waits until every child this attempt submitted has ended, and answers how each ended, in the order they were
     * submitted. Answers at once when there are none.
     *
     * @throws TimeoutException     when some child has not ended within {@code timeout}
     * @throws InterruptedException when the attempt is cancelled meanwhile
     */
    List<ChildResult> awaitChildren(Duration timeout) throws InterruptedException, TimeoutException;
}
