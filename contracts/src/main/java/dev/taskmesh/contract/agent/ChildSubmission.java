package dev.taskmesh.contract.agent;

import java.util.UUID;
import tools.jackson.databind.JsonNode;

/**
 * A running attempt submits a child task through its agent. Fenced like every message about an attempt: the sender
 * must hold {@code parentAttempt}, the current attempt of {@code parentTaskId}. The child gets the parent's owner.
 * The server answers with {@link ChildSubmitted} carrying the same {@code requestId}.
 *
 * @param parentTaskId  the task that submits the child
 * @param parentAttempt the attempt of the parent that the sender runs (the fencing token)
 * @param requestId     chosen by the agent, 1 to 200 characters; a second submission with the same id for the same
 *                      parent creates nothing and is answered with the child created the first time, so a resend
 *                      after a reconnect is safe
 * @param task          the child, with the body of {@code POST /api/v1/tasks} ({@code type}, {@code input},
 *                      {@code requirements}, …); groups, broadcasts and idempotency keys are refused here
 */
public record ChildSubmission(UUID parentTaskId, int parentAttempt, String requestId, JsonNode task) {
}
