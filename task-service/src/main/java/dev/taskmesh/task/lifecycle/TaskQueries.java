package dev.taskmesh.task.lifecycle;

import dev.taskmesh.contract.task.TaskStatus;
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
    private final FanOutStore fanOut;

    TaskQueries(TaskStore store, FanOutStore fanOut) {
        this.store = store;
        this.fanOut = fanOut;
    }

    /** The task with its attempts and its first children. */
    public Optional<TaskView> find(UUID id) {
        return store.find(id).map(this::view);
    }

    /** Only the task's status, in one read. */
    public Optional<TaskStatus> status(UUID id) {
        return store.find(id).map(TaskRow::status);
    }

    /** The task with its attempts and its first children. */
    public TaskView view(TaskRow task) {
        TaskView view = TaskView.from(task, store.attemptsOf(List.of(task.id())));
        List<TaskView.Child> children = fanOut.childSummaries(task.id(), TaskView.CHILDREN_SHOWN);
        long count = children.size() < TaskView.CHILDREN_SHOWN ? children.size() : fanOut.childCount(task.id());
        return view.withChildren(children, count);
    }

    /** The tasks with their attempts, in the given order, without children (as in lists). */
    public List<TaskView> views(List<TaskRow> rows) {
        Map<UUID, List<AttemptRow>> attempts = store.attemptsOf(rows.stream().map(TaskRow::id).toList()).stream()
                .collect(Collectors.groupingBy(AttemptRow::taskId));
        return rows.stream()
                .map(row -> TaskView.from(row, attempts.getOrDefault(row.id(), List.of())))
                .toList();
    }

    /** One page of a task's children, oldest first, as full task JSON without their own children. */
    public TaskPage children(UUID parentId, int page, int size) {
        List<TaskView> items = views(fanOut.children(parentId, size, (long) page * size));
        long total = items.size() < size && (page == 0 || !items.isEmpty())
                ? (long) page * size + items.size()
                : fanOut.childCount(parentId);
        return new TaskPage(items, page, size, total);
    }

    public TaskPage page(TaskFilter filter) {
        List<TaskRow> rows = store.page(filter);
        List<TaskView> items = views(rows);
        long total = rows.size() < filter.size() && (filter.page() == 0 || !rows.isEmpty())
                ? (long) filter.page() * filter.size() + rows.size()
                : store.count(filter);
        return new TaskPage(items, filter.page(), filter.size(), total);
    }
}
