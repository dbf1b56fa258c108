package dev.taskmesh.task.lifecycle;

import java.util.List;

/** One page of {@code GET /api/v1/tasks}, newest first. */
public record TaskPage(List<TaskView> items, int page, int size, long total) {

    public TaskPage {
        items = List.copyOf(items);
    }
}
