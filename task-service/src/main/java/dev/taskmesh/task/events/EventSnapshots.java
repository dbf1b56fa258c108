package dev.taskmesh.task.events;

import dev.taskmesh.task.dispatch.WorkerDirectory;
import dev.taskmesh.task.dispatch.WorkerSummary;
import dev.taskmesh.task.lifecycle.TaskQueries;
import dev.taskmesh.task.lifecycle.TaskView;
import java.security.Principal;
import java.util.List;
import java.util.UUID;
import org.springframework.messaging.handler.annotation.DestinationVariable;
import org.springframework.messaging.handler.annotation.MessageExceptionHandler;
import org.springframework.messaging.simp.annotation.SendToUser;
import org.springframework.messaging.simp.annotation.SubscribeMapping;
import org.springframework.stereotype.Controller;

/**
 * Snapshots on subscribe: a page subscribes to {@code /app/tasks/{id}} or {@code /app/workers} and gets the current
 * state once, as a reply to that subscription, then follows the live topics. Subscribe to the live topic first and
 * take the snapshot second, so that no change falls between the two.
 */
@Controller
class EventSnapshots {

    private final TaskQueries tasks;
    private final WorkerDirectory workers;

    EventSnapshots(TaskQueries tasks, WorkerDirectory workers) {
        this.tasks = tasks;
        this.workers = workers;
    }

    /** The task JSON of {@code GET /api/v1/tasks/{id}}; access was checked at SUBSCRIBE and is checked again. */
    @SubscribeMapping("/tasks/{id}")
    TaskView task(@DestinationVariable UUID id, Principal user) {
        TaskView task = tasks.find(id).orElseThrow(() -> new SnapshotRefused(EventError.NOT_FOUND, "No task " + id));
        if (!task.owner().equals(user.getName()) && !PeopleAuthentication.isAdmin(user)) {
            throw new SnapshotRefused(EventError.FORBIDDEN, "Task " + id + " belongs to another user");
        }
        return task;
    }

    /** The agents connected now. */
    @SubscribeMapping("/workers")
    List<WorkerSummary> workers() {
        return workers.connectedWorkers();
    }

    @MessageExceptionHandler
    @SendToUser(destinations = EventDestinations.ERRORS_QUEUE, broadcast = false)
    EventError onRefused(SnapshotRefused e) {
        return new EventError(e.code, String.valueOf(e.getMessage()), null, null);
    }

    /** A snapshot that may not or cannot be given. */
    static final class SnapshotRefused extends RuntimeException {

        private final String code;

        SnapshotRefused(String code, String message) {
            super(message);
            this.code = code;
        }
    }
}
