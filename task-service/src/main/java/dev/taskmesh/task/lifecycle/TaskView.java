package dev.taskmesh.task.lifecycle;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.taskmesh.contract.task.TaskStatus;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * The task JSON of {@code GET /api/v1/tasks/{id}}. Other services read {@code attempt} and {@code workerId} to
 * decide which attempt's outputs are the recorded ones: these names are public API.
 *
 * @param parentId   the task that submitted this one through its agent, or its group; null for none
 * @param children   the first {@value #CHILDREN_SHOWN} children, oldest first; only in the JSON of one task (absent
 *                   in lists and batches)
 * @param childCount how many children the task has, beside {@code children}
 */
public record TaskView(UUID id, String type, TaskStatus status, String owner, String ownerName, JsonNode input,
                       Requirements requirements, int priority, @Nullable Integer timeoutSeconds, int maxAttempts,
                       @Nullable String idempotencyKey, List<String> targetWorkers, int attempt,
                       @Nullable String workerId, @Nullable Progress progress, @Nullable String error,
                       Instant createdAt, @Nullable Instant assignedAt, @Nullable Instant startedAt,
                       @Nullable Instant finishedAt, List<Attempt> attempts, @Nullable UUID parentId,
                       @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable List<Child> children,
                       @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable Long childCount) {

    /** How many children the JSON of one task lists; {@code GET /api/v1/tasks/{id}/children} pages through all. */
    public static final int CHILDREN_SHOWN = 100;

    public TaskView {
        targetWorkers = List.copyOf(targetWorkers);
        attempts = List.copyOf(attempts);
        children = children == null ? null : List.copyOf(children);
    }

    /** One child of a task: for a broadcast, {@code workerId} tells whose result it is. */
    public record Child(UUID id, String type, TaskStatus status, @Nullable String workerId, @Nullable String error) {
    }

    /** This view with its children. */
    TaskView withChildren(List<Child> firstChildren, long count) {
        return new TaskView(id, type, status, owner, ownerName, input, requirements, priority, timeoutSeconds,
                maxAttempts, idempotencyKey, targetWorkers, attempt, workerId, progress, error, createdAt, assignedAt,
                startedAt, finishedAt, attempts, parentId, firstChildren, count);
    }

    /** One attempt, oldest first. */
    public record Attempt(int attempt, String workerId, AttemptStatus status, Instant assignedAt,
                          @Nullable Instant startedAt, @Nullable Instant finishedAt, @Nullable String error) {

        static Attempt from(AttemptRow row) {
            return new Attempt(row.attempt(), row.workerId(), row.status(), row.assignedAt(), row.startedAt(),
                    row.finishedAt(), row.error());
        }
    }

    static TaskView from(TaskRow t, List<AttemptRow> attempts) {
        return new TaskView(t.id(), t.type(), t.status(), t.owner(), t.ownerName(), t.input(), t.requirements(),
                t.priority(), t.timeoutSeconds(), t.maxAttempts(), t.idempotencyKey(), t.targetWorkers(),
                t.attempt(), t.workerId(), t.progress(), t.error(), t.createdAt(), t.assignedAt(), t.startedAt(),
                t.finishedAt(), attempts.stream().map(Attempt::from).toList(), t.parentId(), null, null);
    }
}
