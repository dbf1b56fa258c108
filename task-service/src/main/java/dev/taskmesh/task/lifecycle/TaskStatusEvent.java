package dev.taskmesh.task.lifecycle;

import dev.taskmesh.contract.task.TaskStatus;
import java.time.Instant;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * A task's status changed: what people's task lists get on {@code /user/queue/tasks} (the owner) and
 * {@code /topic/tasks} (admins). Enough to update a row of a list without reading the task again.
 *
 * @param previous the status before; null when the task was just submitted
 * @param error    for FAILED and CANCELLED (and a retry back to QUEUED): why
 */
public record TaskStatusEvent(UUID id, String type, TaskStatus status, @Nullable TaskStatus previous, String owner,
                              String ownerName, int attempt, @Nullable String workerId, @Nullable String error,
                              Instant createdAt, @Nullable Instant assignedAt, @Nullable Instant startedAt,
                              @Nullable Instant finishedAt) {

    static TaskStatusEvent from(TaskChanged change) {
        TaskRow t = change.task();
        return new TaskStatusEvent(t.id(), t.type(), t.status(), change.previous(), t.owner(), t.ownerName(),
                t.attempt(), t.workerId(), t.error(), t.createdAt(), t.assignedAt(), t.startedAt(), t.finishedAt());
    }
}
