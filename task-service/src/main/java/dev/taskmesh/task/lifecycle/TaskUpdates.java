package dev.taskmesh.task.lifecycle;

import dev.taskmesh.contract.task.TaskStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.springframework.messaging.simp.SimpMessageSendingOperations;
import org.springframework.stereotype.Component;
import org.springframework.transaction.event.TransactionalEventListener;

/**
 * After each committed change: tells live clients on {@code /topic/tasks/{id}}, and of a status change also the
 * owner on {@code /user/queue/tasks} and admins on {@code /topic/tasks}, each only while someone is subscribed;
 * counts it in the metrics. Metric names
 * and destinations are public API (docs/events.md).
 */
@Component
class TaskUpdates {

    /** The small JSON live clients get on {@code /topic/tasks/{id}}. */
    record TaskUpdate(UUID id, TaskStatus status, int attempt, @Nullable Progress progress) {
    }

    /** Every status change of the tasks of one owner, on that owner's user destination. */
    static final String OWNER_QUEUE = "/queue/tasks";
    /** Every status change of every task, for admins. */
    static final String ALL_TASKS_TOPIC = "/topic/tasks";

    private final SimpMessageSendingOperations messaging;
    private final LiveSubscriptions live;
    private final Counter submitted;
    private final Counter succeeded;
    private final Counter failed;
    private final Counter cancelled;
    private final Timer dispatchLatency;
    private final Timer runTime;

    TaskUpdates(SimpMessageSendingOperations messaging, LiveSubscriptions live, MeterRegistry meters) {
        this.messaging = messaging;
        this.live = live;
        this.submitted = Counter.builder("taskmesh.tasks.submitted").description("Tasks accepted")
                .register(meters);
        this.succeeded = Counter.builder("taskmesh.tasks.succeeded").description("Tasks that succeeded")
                .register(meters);
        this.failed = Counter.builder("taskmesh.tasks.failed").description("Tasks that failed for good")
                .register(meters);
        this.cancelled = Counter.builder("taskmesh.tasks.cancelled").description("Tasks cancelled")
                .register(meters);
        this.dispatchLatency = Timer.builder("taskmesh.tasks.dispatch.latency")
                .description("From entering the queue (submit or requeue) to assignment").register(meters);
        this.runTime = Timer.builder("taskmesh.tasks.run.time")
                .description("From the agent's start to the task's outcome").register(meters);
    }

    @TransactionalEventListener
    void onChange(TaskChanged change) {
        TaskRow task = change.task();
        if (live.watched(topic(task.id()))) {
            messaging.convertAndSend(topic(task.id()),
                    new TaskUpdate(task.id(), task.status(), task.attempt(), task.progress()));
        }
        if (change.statusChanged()) {
            boolean owner = live.watchedBy(task.owner(), OWNER_QUEUE);
            boolean admins = live.watched(ALL_TASKS_TOPIC);
            if (owner || admins) {
                TaskStatusEvent event = TaskStatusEvent.from(change);
                if (owner) {
                    messaging.convertAndSendToUser(task.owner(), OWNER_QUEUE, event);
                }
                if (admins) {
                    messaging.convertAndSend(ALL_TASKS_TOPIC, event);
                }
            }
            count(change);
        }
    }

    private void count(TaskChanged change) {
        TaskRow task = change.task();
        switch (task.status()) {
            case QUEUED -> {
                if (change.previous() == null) {
                    submitted.increment();
                }
            }
            case ASSIGNED -> {
                if (task.assignedAt() != null) {
                    dispatchLatency.record(between(task.queuedAt(), task.assignedAt()));
                }
            }
            case RUNNING -> {
                // nothing to count: the run time is recorded with the outcome
            }
            case SUCCEEDED, FAILED, CANCELLED -> {
                (task.status() == TaskStatus.SUCCEEDED ? succeeded
                        : task.status() == TaskStatus.FAILED ? failed : cancelled).increment();
                if (task.startedAt() != null && task.finishedAt() != null) {
                    runTime.record(between(task.startedAt(), task.finishedAt()));
                }
            }
        }
    }

    /**
     * Never negative: the start of a run is the agent's clock and its end the server's, and two instants of this
     * service may come from different transactions; a clock ahead by a little must not make a negative duration.
     */
    private static Duration between(Instant from, Instant to) {
        Duration d = Duration.between(from, to);
        return d.isNegative() ? Duration.ZERO : d;
    }

    static String topic(UUID taskId) {
        return "/topic/tasks/" + taskId;
    }
}
