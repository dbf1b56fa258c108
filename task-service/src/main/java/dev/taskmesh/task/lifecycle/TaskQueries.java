package dev.taskmesh.task.lifecycle;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Reads tasks with their attempts, as the task JSON. */
@Service
@Transactional(readOnly = true)
public class TaskQueries {

    private final TaskStore store;

    TaskQueries(TaskStore store) {
        this.store = store;
    }

    public Optional<TaskView> find(UUID id) {
        return store.find(id).map(this::view);
    }

    public TaskView view(TaskRow task) {
        return TaskView.from(task, store.attemptsOf(List.of(task.id())));
    }

    public TaskPage page(TaskFilter filter) {
        List<TaskRow> rows = store.page(filter);
        Map<UUID, List<AttemptRow>> attempts = store.attemptsOf(rows.stream().map(TaskRow::id).toList()).stream()
                .collect(Collectors.groupingBy(AttemptRow::taskId));
        List<TaskView> items = rows.stream()
                .map(row -> TaskView.from(row, attempts.getOrDefault(row.id(), List.of())))
                .toList();
        long total = rows.size() < filter.size() && (filter.page() == 0 || !rows.isEmpty())
                ? (long) filter.page() * filter.size() + rows.size()
                : store.count(filter);
        return new TaskPage(items, filter.page(), filter.size(), total);
    }
}
