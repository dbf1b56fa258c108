package dev.taskmesh.registry.heartbeat;

import dev.taskmesh.contract.agent.Capabilities;
import dev.taskmesh.contract.agent.RunningAttempt;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The latest heartbeat the registry holds for a worker.
 *
 * @param receivedAt   when the task-service received it
 * @param capabilities what the worker reported; {@code null} if the stored document can no longer be read
 * @param running      attempts it was running
 * @param freeSlots    how many more tasks it took
 * @param online       whether it arrived within {@code taskmesh.registry.offline-after}
 * @param draining     whether the task-service that received it says the worker is drained
 */
public record LastHeartbeat(Instant receivedAt, @Nullable Capabilities capabilities, List<RunningAttempt> running,
                            int freeSlots, boolean online, boolean draining) {

    public LastHeartbeat {
        running = List.copyOf(running);
    }

    /** A heartbeat of a worker that is not drained. */
    public LastHeartbeat(Instant receivedAt, @Nullable Capabilities capabilities, List<RunningAttempt> running,
                         int freeSlots, boolean online) {
        this(receivedAt, capabilities, running, freeSlots, online, false);
    }
}
