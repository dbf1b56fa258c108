package dev.taskmesh.task.lifecycle;

import dev.taskmesh.contract.task.TaskStatus;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * One row of {@code tasks}, as read in one statement. Never changed in memory: every change is an SQL update that
 * returns the new row.
 *
 * @param attempt  the current attempt number, 0 while never assigned; the fencing token of agent messages
 * @param workerId the worker of the current attempt, null while queued
 * @param queuedAt when the task last entered QUEUED (created or requeued)
 * @param runAfter while QUEUED: not claimed before this (retry backoff); null when runnable at once
 * @param waitingReason while QUEUED: why no online worker can ever run it; null while one could
 * @param parentId the task that submitted this one through its agent, or the group it belongs to
 */
public record TaskRow(UUID id, String type, TaskStatus status, String owner, String ownerName, JsonNode input,
                      Requirements requirements, int priority, @Nullable Integer timeoutSeconds, int maxAttempts,
                      @Nullable String idempotencyKey, List<String> targetWorkers, int attempt,
                      @Nullable String workerId, @Nullable Progress progress, @Nullable String error,
                      Instant createdAt, Instant queuedAt, @Nullable Instant assignedAt, @Nullable Instant startedAt,
                      @Nullable Instant finishedAt, long version, @Nullable Instant runAfter,
                      @Nullable Integer queueTimeoutSeconds, @Nullable Integer retryBackoffSeconds,
                      @Nullable Integer retryMaxBackoffSeconds, @Nullable String waitingReason,
                      @Nullable UUID parentId) {

    /** The task type of groups and broadcasts, reserved: no task of this type is ever dispatched. */
    public static final String GROUP_TYPE = "group";

    public TaskRow {
        targetWorkers = List.copyOf(targetWorkers);
    }

    /** Whether {@code workerId} runs attempt {@code attemptNumber}, the current one, of this task. */
    public boolean isHeldBy(String worker, int attemptNumber) {
        return worker.equals(workerId) && attempt == attemptNumber;
    }

    /** Whether this is a group (or broadcast) parent: never dispatched, final when all its children are. */
    public boolean isGroup() {
        return GROUP_TYPE.equals(type);
    }
}
