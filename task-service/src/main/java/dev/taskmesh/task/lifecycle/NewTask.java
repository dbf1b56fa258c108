package dev.taskmesh.task.lifecycle;

import java.util.List;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * A validated submission, ready to be stored as a QUEUED task.
 *
 * @param queueTimeoutSeconds    how long it may wait in the queue once runnable; null: forever
 * @param retryBackoffSeconds    its own initial retry backoff; null: {@code taskmesh.tasks.retry-backoff}
 * @param retryMaxBackoffSeconds its own maximum retry backoff; null: {@code taskmesh.tasks.retry-backoff-max}
 */
public record NewTask(String type, String owner, String ownerName, JsonNode input, Requirements requirements,
                      int priority, @Nullable Integer timeoutSeconds, int maxAttempts,
                      @Nullable String idempotencyKey, List<String> targetWorkers,
                      @Nullable Integer queueTimeoutSeconds, @Nullable Integer retryBackoffSeconds,
                      @Nullable Integer retryMaxBackoffSeconds) {

    public NewTask {
        targetWorkers = List.copyOf(targetWorkers);
    }

    /** A task without queue timeout and with the configured retry backoff. */
    public NewTask(String type, String owner, String ownerName, JsonNode input, Requirements requirements,
                   int priority, @Nullable Integer timeoutSeconds, int maxAttempts, @Nullable String idempotencyKey,
                   List<String> targetWorkers) {
        this(type, owner, ownerName, input, requirements, priority, timeoutSeconds, maxAttempts, idempotencyKey,
                targetWorkers, null, null, null);
    }
}
