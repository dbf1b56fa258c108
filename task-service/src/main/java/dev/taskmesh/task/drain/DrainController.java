package dev.taskmesh.task.drain;

import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.support.ApiException;
import dev.taskmesh.support.Caller;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.jspecify.annotations.Nullable;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /api/v1/workers/{id}/drain} drains a worker: it finishes the tasks it holds and is offered nothing
 * new. {@code DELETE} undrains it. Admins only. The gateway routes exactly these paths here; the rest of
 * {@code /api/v1/workers} belongs to the registry, which shows a drained online worker as {@code DRAINING}.
 */
@RestController
class DrainController {

    private static final String DRAIN = ApiPaths.WORKERS + "/{workerId}/drain";
    private static final int MAX_ID_LENGTH = 200;

    private final WorkerDrains drains;

    DrainController(WorkerDrains drains) {
        this.drains = drains;
    }

    /**
     * The drain state of a worker.
     *
     * @param drainedAt    since when it is drained; null when it is not
     * @param drainedBy    who drained it; null when it is not
     * @param runningTasks tasks it still holds (ASSIGNED or RUNNING)
     */
    record DrainView(String workerId, boolean draining, @Nullable Instant drainedAt, @Nullable String drainedBy,
                     int runningTasks) {
    }

    @PostMapping(DRAIN)
    DrainView drain(@PathVariable String workerId, Caller caller) {
        requireAdmin(caller, workerId);
        WorkerDrains.Drain drain = drains.drain(workerId, caller.name(), Instant.now().truncatedTo(ChronoUnit.MICROS));
        return new DrainView(workerId, true, drain.drainedAt(), drain.drainedBy(), drains.activeTasks(workerId));
    }

    @DeleteMapping(DRAIN)
    DrainView undrain(@PathVariable String workerId, Caller caller) {
        requireAdmin(caller, workerId);
        drains.undrain(workerId);
        return new DrainView(workerId, false, null, null, drains.activeTasks(workerId));
    }

    private static void requireAdmin(Caller caller, String workerId) {
        if (!caller.isAdmin()) {
            throw ApiException.forbidden("Only admins may drain or undrain workers");
        }
        if (workerId.isBlank() || workerId.length() > MAX_ID_LENGTH) {
            throw ApiException.badRequest("A worker id has 1 to " + MAX_ID_LENGTH + " characters");
        }
    }
}
