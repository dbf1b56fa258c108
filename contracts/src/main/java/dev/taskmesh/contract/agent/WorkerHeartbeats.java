package dev.taskmesh.contract.agent;

import java.time.Instant;
import java.util.List;

/**
 * Internal: the heartbeats one task-service instance received in the last flush interval, sent to the registry
 * in one call so that the registry writes them in one batch.
 */
public record WorkerHeartbeats(List<Received> heartbeats) {

    public WorkerHeartbeats {
        heartbeats = List.copyOf(heartbeats);
    }

    /** The latest heartbeat of one worker, with the server time it arrived. */
    public record Received(String workerId, Heartbeat heartbeat, Instant receivedAt) {
    }
}
