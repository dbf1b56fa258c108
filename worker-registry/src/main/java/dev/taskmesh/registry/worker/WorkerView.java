package dev.taskmesh.registry.worker;

import dev.taskmesh.contract.agent.Capabilities;
import dev.taskmesh.contract.agent.RunningAttempt;
import dev.taskmesh.registry.heartbeat.LastHeartbeat;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * A worker as people see it: its registration and what its last heartbeat said.
 *
 * @param lastHeartbeatAt when the last heartbeat arrived; {@code null} before the first
 * @param capabilities    as of the last heartbeat; {@code null} before the first
 * @param runningTasks    attempts it ran as of the last heartbeat
 * @param freeSlots       as of the last heartbeat; 0 while it is offline
 */
record WorkerView(UUID id, String name, List<String> labels, WorkerStatus status, @Nullable Instant lastHeartbeatAt,
                  @Nullable Capabilities capabilities, List<RunningAttempt> runningTasks, int freeSlots,
                  Instant createdAt) {

    static WorkerView from(Worker worker, @Nullable LastHeartbeat heartbeat) {
        if (heartbeat == null) {
            return new WorkerView(worker.id(), worker.name(), worker.labels(), WorkerStatus.OFFLINE, null, null,
                    List.of(), 0, worker.createdAt());
        }
        boolean online = heartbeat.online();
        return new WorkerView(worker.id(), worker.name(), worker.labels(),
                !online ? WorkerStatus.OFFLINE : heartbeat.draining() ? WorkerStatus.DRAINING : WorkerStatus.ONLINE,
                heartbeat.receivedAt(), heartbeat.capabilities(),
                heartbeat.running(), online ? heartbeat.freeSlots() : 0, worker.createdAt());
    }
}
