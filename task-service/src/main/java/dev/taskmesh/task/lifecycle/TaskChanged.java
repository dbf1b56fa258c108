package dev.taskmesh.task.lifecycle;

import dev.taskmesh.contract.task.TaskStatus;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A task row changed (status or progress). Published inside the transaction that changed it; listeners act after
 * the commit.
 *
 * @param previous       the status before the change; null for a new task
 * @param attemptsIfLeaf the task's attempts, all of them, as the statement that made the change left them, when that
 *                       statement also found the task without children: the whole task JSON without a read
 *                       ({@link TaskQueries#view(TaskChanged)}); null when the change did not read them
 */
public record TaskChanged(TaskRow task, @Nullable TaskStatus previous, @Nullable List<AttemptRow> attemptsIfLeaf) {

    public TaskChanged(TaskRow task, @Nullable TaskStatus previous) {
        this(task, previous, null);
    }

    public boolean statusChanged() {
        return previous != task.status();
    }
}
