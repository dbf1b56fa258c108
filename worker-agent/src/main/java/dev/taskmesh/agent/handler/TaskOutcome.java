package dev.taskmesh.agent.handler;

import dev.taskmesh.contract.agent.Outcome;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * How a {@link TaskHandler} says an attempt ended. Create it with {@link #succeeded(JsonNode)},
 * {@link #failed(String, boolean)} or {@link #cancelled()}.
 *
 * @param outcome   how it ended
 * @param output    for SUCCEEDED: the output JSON, null for none. Up to 16 KiB it travels with the completion;
 *                  a larger one is uploaded as the file {@code result.json}
 * @param error     for FAILED: what a person needs to know to act
 * @param retryable for FAILED: whether running the task again may help
 */
public record TaskOutcome(Outcome outcome, @Nullable JsonNode output, @Nullable String error, boolean retryable) {

    public TaskOutcome {
        Objects.requireNonNull(outcome, "outcome");
        if (outcome == Outcome.FAILED && (error == null || error.isBlank())) {
            throw new IllegalArgumentException("a failed outcome needs an error");
        }
    }

    /** The task did its work; {@code output} (may be null) becomes the task's output JSON. */
    public static TaskOutcome succeeded(@Nullable JsonNode output) {
        return new TaskOutcome(Outcome.SUCCEEDED, output, null, false);
    }

    /**
     * The task failed.
     *
     * @param error     what went wrong, for a person
     * @param retryable false when running it again cannot help (bad input), true for transient causes
     */
    public static TaskOutcome failed(String error, boolean retryable) {
        return new TaskOutcome(Outcome.FAILED, null, error, retryable);
    }

    /** The handler stopped because {@link TaskContext#isCancelled()} turned true. */
    public static TaskOutcome cancelled() {
        return new TaskOutcome(Outcome.CANCELLED, null, null, false);
    }
}
