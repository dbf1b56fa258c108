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
 * @param runAfter            while QUEUED in a retry backoff: when it may be claimed again; null when runnable now
 * @param waitingReason       while QUEUED: why no online worker can ever run it ("waiting: …"); null while one could
 * @param queueTimeoutSeconds how long it may wait in the queue once runnable; null: forever
 * @param retry               its own retry backoff; null: the configured defaults
 * @param parentId   the task that submitted this one through its agent, or its group; null for none
 * @param children   the first {@value #CHILDREN_SHOWN} children, oldest first; only in the JSON of one task (absent
 *                   in lists and batches)
 * @param childCount how many children the task has, beside {@code children}
 * @param output     the output JSON of the recorded attempt when its agent sent it with the completion (a handler's
 *                   output of up to 16 KiB); null otherwise: {@code GET /api/v1/tasks/{id}/result} always has it
 */
public record TaskView(UUID id, String type, TaskStatus status, String owner, String ownerName, JsonNode input,
                       Requirements requirements, int priority, @Nullable Integer timeoutSeconds, int maxAttempts,
                       @Nullable String idempotencyKey, List<String> targetWorkers, int attempt,
                       @Nullable String workerId, @Nullable Progress progress, @Nullable String error,
                       Instant createdAt, @Nullable Instant assignedAt, @Nullable Instant startedAt,
                       @Nullable Instant finishedAt, List<Attempt> attempts, @Nullable Instant runAfter,
                       @Nullable String waitingReason, @Nullable Integer queueTimeoutSeconds, @Nullable Retry retry,
                       @Nullable UUID parentId,
                       @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable List<Child> children,
                       @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable Long childCount,
                       @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable JsonNode output) {

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
                startedAt, finishedAt, attempts, runAfter, waitingReason, queueTimeoutSeconds, retry, parentId, firstChildren,
                count, output);
    }

    /** One attempt, oldest first. */
    public record Attempt(int attempt, String workerId, AttemptStatus status, Instant assignedAt,
                          @Nullable Instant startedAt, @Nullable Instant finishedAt, @Nullable String error) {

        static Attempt from(AttemptRow row) {
            return new Attempt(row.attempt(), row.workerId(), row.status(), row.assignedAt(), row.startedAt(),
                    row.finishedAt(), row.error());
        }
    }

    /**
     * A task's own retry backoff (the submission's {@code retry}).
     *
     * @param backoffSeconds    initial backoff; null: {@code taskmesh.tasks.retry-backoff}
     * @param maxBackoffSeconds maximum backoff; null: {@code taskmesh.tasks.retry-backoff-max}
     */
    public record Retry(@Nullable Integer backoffSeconds, @Nullable Integer maxBackoffSeconds) {
    }

    static TaskView from(TaskRow t, List<AttemptRow> attempts) {
        boolean queued = t.status() == TaskStatus.QUEUED;
        Instant runAfter = queued && t.runAfter() != null && t.runAfter().isAfter(Instant.now()) ? t.runAfter() : null;
        Retry retry = t.retryBackoffSeconds() == null && t.retryMaxBackoffSeconds() == null ? null
                : new Retry(t.retryBackoffSeconds(), t.retryMaxBackoffSeconds());
        return new TaskView(t.id(), t.type(), t.status(), t.owner(), t.ownerName(), t.input(), t.requirements(),
                t.priority(), t.timeoutSeconds(), t.maxAttempts(), t.idempotencyKey(), t.targetWorkers(),
                t.attempt(), t.workerId(), t.progress(), t.error(), t.createdAt(), t.assignedAt(), t.startedAt(),
                t.finishedAt(), attempts.stream().map(Attempt::from).toList(), runAfter,
                queued ? t.waitingReason() : null, t.queueTimeoutSeconds(), retry, t.parentId(), null, null,
                recordedOutput(t, attempts));
    }

    /** The output of the task's current attempt once that attempt has ended. */
    private static @Nullable JsonNode recordedOutput(TaskRow t, List<AttemptRow> attempts) {
        if (!t.status().isFinal()) {
            return null;
        }
        return attempts.stream().filter(a -> a.attempt() == t.attempt()).findFirst().map(AttemptRow::output)
                .orElse(null);
    }
}
