package dev.taskmesh.task.lifecycle;

import java.time.Instant;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * One row of {@code task_attempts}: one assignment of a task to a worker.
 *
 * @param output the output JSON its agent sent with the completion (a handler's, up to 16 KiB); null otherwise
 */
public record AttemptRow(UUID taskId, int attempt, String workerId, AttemptStatus status, Instant assignedAt,
                         @Nullable Instant startedAt, @Nullable Instant finishedAt, @Nullable String error,
                         @Nullable JsonNode output) {
}
