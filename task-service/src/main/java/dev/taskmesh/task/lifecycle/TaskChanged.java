package dev.taskmesh.task.lifecycle;

import dev.taskmesh.contract.task.TaskStatus;
import org.jspecify.annotations.Nullable;

/**
 * A task row changed (status or progress). Published inside the transaction that changed it; listeners act after
 * the commit.
 *
 * @param previous the status before the change; null for a new task
 */
public record TaskChanged(TaskRow task, @Nullable TaskStatus previous) {

    public boolean statusChanged() {
        return previous != task.status();
    }
}
