package dev.taskmesh.task.lifecycle;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One page of {@code GET /api/v1/tasks}, newest first.
 *
 * @param total           how many tasks match the filter (all pages); exact unless {@code totalIsEstimate}
 * @param totalIsEstimate true when more than {@link TaskQueries#EXACT_TOTAL_LIMIT} tasks match: {@code total} is then
 *                        the planner's estimate, at least {@code EXACT_TOTAL_LIMIT + 1}
 * @param nextCursor      pass as {@code after} for the next page; null on the last page
 */
public record TaskPage(List<TaskView> items, int page, int size, long total, boolean totalIsEstimate,
                       @Nullable String nextCursor) {

    public TaskPage {
        items = List.copyOf(items);
    }

    /** An exact page without a cursor. */
    public TaskPage(List<TaskView> items, int page, int size, long total) {
        this(items, page, size, total, false, null);
    }
}
