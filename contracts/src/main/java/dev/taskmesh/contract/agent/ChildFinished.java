package dev.taskmesh.contract.agent;

import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * A child task reached its outcome; pushed on {@code /user/queue/children} to the worker that holds the parent's
 * current attempt (if the parent is still running there). Also sent again after a repeated {@link ChildSubmission}
 * of a child that is already final, so that an agent that missed it while disconnected catches up.
 *
 * @param status   {@code SUCCEEDED}, {@code FAILED} or {@code CANCELLED}
 * @param error    the child's error, for FAILED and CANCELLED
 * @param workerId the worker of the child's last attempt; null when it never ran
 */
public record ChildFinished(UUID parentTaskId, UUID childTaskId, String status, @Nullable String error,
                            @Nullable String workerId) {
}
