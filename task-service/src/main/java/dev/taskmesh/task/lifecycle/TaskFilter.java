package dev.taskmesh.task.lifecycle;

import dev.taskmesh.contract.task.TaskStatus;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * Which tasks a listing shows; a null field does not filter.
 *
 * @param createdAfter  only tasks created at or after this instant
 * @param createdBefore only tasks created before this instant
 * @param q             a search: an exact task id, a task id prefix (canonical lower-case form) or a type prefix
 * @param after         keyset paging: only tasks after this cursor; {@code page} is then not used as an offset
 */
public record TaskFilter(@Nullable TaskStatus status, @Nullable String type, @Nullable String owner, int page,
                         int size, @Nullable Instant createdAfter, @Nullable Instant createdBefore,
                         @Nullable String q, @Nullable TaskCursor after) {

    /** Filters by status, type and owner only, one offset page. */
    public TaskFilter(@Nullable TaskStatus status, @Nullable String type, @Nullable String owner, int page,
                      int size) {
        this(status, type, owner, page, size, null, null, null, null);
    }
}
