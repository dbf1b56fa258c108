package dev.taskmesh.contract.agent;

import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
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

    /**
     * The latest heartbeat of one worker, with the server time it arrived.
     *
     * @param draining whether an administrator drained the worker (it finishes what it runs and gets nothing new);
     *                 absent in the JSON of older senders, which reads as false
     */
    public record Received(String workerId, Heartbeat heartbeat, Instant receivedAt,
                           @JsonSetter(nulls = Nulls.AS_EMPTY) boolean draining) {

        /** A heartbeat of a worker that is not drained. */
        public Received(String workerId, Heartbeat heartbeat, Instant receivedAt) {
            this(workerId, heartbeat, receivedAt, false);
        }
    }
}
