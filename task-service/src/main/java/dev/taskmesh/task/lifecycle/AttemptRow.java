package dev.taskmesh.task.lifecycle;

import java.time.Instant;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/** One row of {@code task_attempts}: one assignment of a task to a worker. */
public record AttemptRow(UUID taskId, int attempt, String workerId, AttemptStatus status, Instant assignedAt,
                         @Nullable Instant startedAt, @Nullable Instant finishedAt, @Nullable String error) {
}
