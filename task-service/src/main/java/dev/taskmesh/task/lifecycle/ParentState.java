package dev.taskmesh.task.lifecycle;

import dev.taskmesh.contract.task.TaskStatus;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * The parent of a child that reached its outcome.
 *
 * @param workerId the worker of the parent's current attempt; null for a group or a queued parent
 */
public record ParentState(UUID id, String type, TaskStatus status, int attempt, @Nullable String workerId) {

    public boolean isGroup() {
        return TaskRow.GROUP_TYPE.equals(type);
    }
}
