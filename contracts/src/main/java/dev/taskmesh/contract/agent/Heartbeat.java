package dev.taskmesh.contract.agent;

import java.time.Instant;
import java.util.List;

/**
 * Sent by the agent right after CONNECT and then every heartbeat interval (default 5 s).
 *
 * @param capabilities what the node offers
 * @param running      attempts the agent is running; after a reconnect the server keeps these and requeues the rest
 * @param freeSlots    how many more tasks it takes now ({@code slots} minus running, 0 while draining)
 * @param sentAt       the agent's clock, for people; the server uses its own clock for liveness
 */
public record Heartbeat(Capabilities capabilities, List<RunningAttempt> running, int freeSlots, Instant sentAt) {

    public Heartbeat {
        running = List.copyOf(running);
    }
}
