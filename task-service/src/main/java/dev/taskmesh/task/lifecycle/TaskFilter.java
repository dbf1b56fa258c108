package dev.taskmesh.task.lifecycle;

import dev.taskmesh.contract.task.TaskStatus;
import org.jspecify.annotations.Nullable;

/** Which tasks a listing shows; a null field does not filter. */
public record TaskFilter(@Nullable TaskStatus status, @Nullable String type, @Nullable String owner, int page,
                         int size) {
}
