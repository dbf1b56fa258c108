package dev.taskmesh.task.dispatch;

import dev.taskmesh.contract.agent.Capabilities;
import java.time.Instant;

/**
 * What people see of a connected agent on {@code /topic/workers} and in the {@code /app/workers} snapshot.
 *
 * @param online        false once the agent's session ended or it went silent for a whole lease
 * @param capabilities  what the node offers, from its last heartbeat
 * @param freeSlots     how many more tasks it takes now (its report, less assignments it has not reported yet)
 * @param running       how many attempts it reported running
 * @param draining      it reports no free slot while running fewer tasks than it has slots: it takes no new work
 * @param lastHeartbeat when its last heartbeat arrived (this server's clock)
 */
public record WorkerSummary(String workerId, boolean online, Capabilities capabilities, int freeSlots, int running,
                            boolean draining, Instant lastHeartbeat) {
}
