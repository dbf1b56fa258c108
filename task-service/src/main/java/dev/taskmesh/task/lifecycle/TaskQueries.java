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

    /** Up to this many matching tasks, a listing's total is an exact count. */
    public static final int EXACT_TOTAL_LIMIT = 10_000;

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

    /** The owner of a task, without reading the rest of it (authorization checks). */
    public Optional<String> ownerOf(UUID id) {
        return store.ownerOf(id);
    }

    /** Only the task's status, in one read. */
    public Optional<TaskStatus> status(UUID id) {
        return store.statusOf(id);
    }

    /** The task's row alone, without its attempts and children (for checks before reading more). */
    public Optional<TaskRow> row(UUID id) {
        return store.find(id);
    }

    /** The task with its attempts and its first children. */
    public TaskView view(TaskRow task) {
        FanOutStore.AttemptsAndChildren read = fanOut.attemptsAndChildren(task.id(), TaskView.CHILDREN_SHOWN);
        TaskView view = TaskView.from(task, read.attempts());
        List<TaskView.Child> children = read.children();
        long count = children.size() < TaskView.CHILDREN_SHOWN ? children.size() : fanOut.childCount(task.id());
        return view.withChildren(children, count);
    }

    /** The task as the change left it: without a read when the change had all of it ({@link TaskChanged}). */
    public TaskView view(TaskChanged change) {
        List<AttemptRow> attempts = change.attemptsIfLeaf();
        return attempts == null ? view(change.task())
                : TaskView.from(change.task(), attempts).withChildren(List.of(), 0);
    }

    /** The JSON of a task just submitted, without reading anything: it has no attempts and no children yet. */
    public TaskView viewOfNew(TaskRow task) {
        return TaskView.from(task, List.of()).withChildren(List.of(), 0);
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

    /**
     * One page newest first, with a cursor to the next one. The total is exact up to {@value #EXACT_TOTAL_LIMIT}
     * matching tasks; above, counting exactly would read every match, so the planner's estimate is given instead.
     */
    public TaskPage page(TaskFilter filter) {
        // one row more than the page tells whether there is a next page
        List<TaskRow> fetched = store.page(filter, filter.size() + 1);
        boolean more = fetched.size() > filter.size();
        List<TaskRow> rows = more ? fetched.subList(0, filter.size()) : fetched;
        List<TaskView> items = views(rows);
        String nextCursor = more ? TaskCursor.of(rows.getLast()).encode() : null;
        boolean offsetPage = filter.after() == null;
        if (offsetPage && !more && (filter.page() == 0 || !rows.isEmpty())) {
            // the last page of an offset listing tells the total without counting
            return new TaskPage(items, filter.page(), filter.size(), (long) filter.page() * filter.size() + rows.size(),
                    false, null);
        }
        long capped = store.cappedCount(filter, EXACT_TOTAL_LIMIT + 1);
        if (capped <= EXACT_TOTAL_LIMIT) {
            return new TaskPage(items, filter.page(), filter.size(), capped, false, nextCursor);
        }
        long estimate = Math.max(store.estimatedCount(filter), capped);
        return new TaskPage(items, filter.page(), filter.size(), estimate, true, nextCursor);
    }
}
