package dev.taskmesh.task.lifecycle;

import dev.taskmesh.contract.task.TaskStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Submissions of many tasks at once and the tasks that belong together: batches, groups (a parent of type
 * {@code group} that is never dispatched and ends when all its children have), broadcasts (a group with one child
 * per worker) and the children a running task submits through its agent. Every change is published as a
 * {@link TaskChanged} event, like those of {@link TaskLifecycle}.
 */
@Service
public class FanOut {

    /** Most workers a broadcast to a label reaches; as many as a group may have children. */
    public static final int MAX_CHILDREN = 1000;

    private final TaskStore store;
    private final FanOutStore fanOut;
    private final ApplicationEventPublisher events;

    FanOut(TaskStore store, FanOutStore fanOut, ApplicationEventPublisher events) {
        this.store = store;
        this.fanOut = fanOut;
        this.events = events;
    }

    /**
     * The answer to a child submitted by a running task.
     *
     * @param child   the child, null when refused
     * @param created false when the parent had already submitted a child with this request id, which is returned
     * @param refusal why it was refused: the parent attempt is not the sender's current one
     */
    public record ChildSubmit(@Nullable TaskRow child, boolean created, @Nullable String refusal) {
    }

    /**
     * Stores QUEUED tasks in one transaction with multi-row inserts. A task whose idempotency key its owner already
     * used (before, or earlier in the same batch) is not stored again: the earlier task answers for it.
     *
     * @return one submission per task, in the order given
     */
    @Transactional
    public List<TaskLifecycle.Submission> submitAll(List<NewTask> tasks) {
        Instant now = TaskLifecycle.now();
        List<FanOutStore.Insert> inserts = new ArrayList<>(tasks.size());
        for (int i = 0; i < tasks.size(); i++) {
            // a microsecond apart: the dispatcher runs a batch in the order it was given (FIFO within a priority)
            inserts.add(new FanOutStore.Insert(UUID.randomUUID(), tasks.get(i), TaskStatus.QUEUED,
                    now.plusNanos(i * 1_000L), null, null));
        }
        Map<UUID, TaskRow> inserted = byId(fanOut.insertAll(inserts));
        Map<String, Set<String>> keysByOwner = new HashMap<>();
        for (FanOutStore.Insert insert : inserts) {
            if (!inserted.containsKey(insert.id())) {
                keysByOwner.computeIfAbsent(insert.task().owner(), owner -> new LinkedHashSet<>())
                        .add(String.valueOf(insert.task().idempotencyKey()));
            }
        }
        Map<String, TaskRow> earlier = new HashMap<>();
        keysByOwner.forEach((owner, keys) -> fanOut.findByIdempotencyKeys(owner, keys)
                .forEach(row -> earlier.put(owner + "\n" + row.idempotencyKey(), row)));
        List<TaskLifecycle.Submission> submissions = new ArrayList<>(tasks.size());
        for (FanOutStore.Insert insert : inserts) {
            TaskRow row = inserted.get(insert.id());
            if (row != null) {
                submissions.add(new TaskLifecycle.Submission(row, true));
                continue;
            }
            String key = insert.task().owner() + "\n" + insert.task().idempotencyKey();
            TaskRow first = earlier.get(key);
            if (first == null) {
                throw new IllegalStateException("Conflicting task vanished for key " + insert.task().idempotencyKey());
            }
            submissions.add(new TaskLifecycle.Submission(first, false));
        }
        inserts.forEach(insert -> {
            TaskRow row = inserted.get(insert.id());
            if (row != null) {
                events.publishEvent(new TaskChanged(row, null));
            }
        });
        return submissions;
    }

    /**
     * Stores a group: its parent, RUNNING and never dispatched, and its QUEUED children, in one transaction. A group
     * whose idempotency key the owner already used is answered with the earlier group, and nothing is stored.
     *
     * @param group    the parent, of type {@code group}
     * @param children 1 to {@value #MAX_CHILDREN} tasks of the same owner, without idempotency keys
     */
    @Transactional
    public TaskLifecycle.Submission submitGroup(NewTask group, List<NewTask> children) {
        if (!TaskRow.GROUP_TYPE.equals(group.type()) || children.isEmpty() || children.size() > MAX_CHILDREN) {
            throw new IllegalArgumentException("A group has type group and 1 to " + MAX_CHILDREN + " children");
        }
        Instant now = TaskLifecycle.now();
        UUID groupId = UUID.randomUUID();
        List<TaskRow> parent = fanOut.insertAll(List.of(
                new FanOutStore.Insert(groupId, group, TaskStatus.RUNNING, now, null, null)));
        if (parent.isEmpty()) {
            String key = String.valueOf(group.idempotencyKey());
            TaskRow existing = store.findByIdempotencyKey(group.owner(), key)
                    .orElseThrow(() -> new IllegalStateException("Conflicting group vanished for key " + key));
            return new TaskLifecycle.Submission(existing, false);
        }
        List<FanOutStore.Insert> inserts = new ArrayList<>(children.size());
        for (int i = 0; i < children.size(); i++) {
            inserts.add(new FanOutStore.Insert(UUID.randomUUID(), children.get(i), TaskStatus.QUEUED,
                    now.plusNanos((i + 1) * 1_000L), groupId, null));
        }
        Map<UUID, TaskRow> inserted = byId(fanOut.insertAll(inserts));
        if (inserted.size() != children.size()) {
            throw new IllegalStateException("Only " + inserted.size() + " of " + children.size()
                    + " children of group " + groupId + " were stored");
        }
        events.publishEvent(new TaskChanged(parent.getFirst(), null));
        inserts.forEach(insert -> events.publishEvent(new TaskChanged(inserted.get(insert.id()), null)));
        return new TaskLifecycle.Submission(parent.getFirst(), true);
    }

    /**
     * Stores a child submitted by the running attempt of its parent, fenced like every agent message: the worker
     * must hold {@code parentAttempt}, the parent's current attempt. A second submission with the same request id
     * answers the child stored the first time. The parent's row is share-locked meanwhile, so that a cancel of the
     * parent either sees the child (and cancels it too) or comes first (and the child is refused).
     *
     * @param child builds the child from the parent (whose owner it gets); may throw for an invalid task
     */
    @Transactional
    public ChildSubmit submitChild(String workerId, UUID parentId, int parentAttempt, String requestId,
                                   Function<TaskRow, NewTask> child) {
        TaskRow parent = fanOut.lockShared(parentId).orElse(null);
        if (parent == null) {
            return new ChildSubmit(null, false, "task " + parentId + " is unknown");
        }
        if (!parent.isHeldBy(workerId, parentAttempt) || !parent.status().isActive()) {
            return new ChildSubmit(null, false, parent.isHeldBy(workerId, parentAttempt)
                    ? "task " + parentId + " is already " + parent.status()
                    : "attempt " + parentAttempt + " of task " + parentId + " is not the current attempt of worker "
                            + workerId + " (the task is " + parent.status() + " at attempt " + parent.attempt() + ")");
        }
        Optional<TaskRow> existing = fanOut.findChild(parentId, requestId);
        if (existing.isPresent()) {
            return new ChildSubmit(existing.get(), false, null);
        }
        NewTask task = child.apply(parent);
        List<TaskRow> inserted = fanOut.insertAll(List.of(new FanOutStore.Insert(UUID.randomUUID(), task,
                TaskStatus.QUEUED, TaskLifecycle.now(), parentId, requestId)));
        if (inserted.isEmpty()) {
            // the same request id raced in from a second session of the worker
            TaskRow first = fanOut.findChild(parentId, requestId)
                    .orElseThrow(() -> new IllegalStateException("Conflicting child vanished for " + requestId));
            return new ChildSubmit(first, false, null);
        }
        events.publishEvent(new TaskChanged(inserted.getFirst(), null));
        return new ChildSubmit(inserted.getFirst(), true, null);
    }

    /**
     * After a child's outcome was committed (in a transaction of its own, so that the child's row lock is gone and a
     * cancel of the parent, which locks the parent and then its children, cannot deadlock with it): a group parent
     * whose children all have their outcome now gets its own, in one guarded statement, so that of two children
     * ending together exactly one ends the group. For a task parent, answers the parent if an agent runs it, to be
     * told.
     */
    @Transactional
    public Optional<ParentState> childFinished(UUID parentId) {
        ParentState parent = fanOut.parentState(parentId).orElse(null);
        if (parent == null) {
            return Optional.empty();
        }
        if (parent.isGroup()) {
            if (parent.status() == TaskStatus.RUNNING) {
                completeGroup(parentId);
            }
            return Optional.empty();
        }
        return parent.status().isActive() && parent.workerId() != null ? Optional.of(parent) : Optional.empty();
    }

    /**
     * Ends the running groups whose children all have their outcome but that are still running: the check after a
     * child's outcome runs after its commit and is lost if the service stops in between.
     *
     * @return how many groups ended
     */
    @Transactional
    public int completeForgottenGroups(int limit) {
        int completed = 0;
        for (UUID groupId : fanOut.runningGroupsWithoutOpenChildren(limit)) {
            if (completeGroup(groupId)) {
                completed++;
            }
        }
        return completed;
    }

    /** The online workers (unexpired lease) whose agent carries the label, at most {@value #MAX_CHILDREN}. */
    @Transactional(readOnly = true)
    public List<String> onlineWorkersWithLabel(String label) {
        return fanOut.onlineWorkersWithLabel(label, Instant.now(), MAX_CHILDREN);
    }

    private boolean completeGroup(UUID groupId) {
        Optional<TaskRow> done = fanOut.completeGroup(groupId, TaskLifecycle.now());
        done.ifPresent(group -> events.publishEvent(new TaskChanged(group, TaskStatus.RUNNING)));
        return done.isPresent();
    }

    private static Map<UUID, TaskRow> byId(List<TaskRow> rows) {
        Map<UUID, TaskRow> map = new HashMap<>();
        rows.forEach(row -> map.put(row.id(), row));
        return map;
    }
}
