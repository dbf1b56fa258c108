package dev.taskmesh.contract.agent;

import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * The server's answer to a {@link ChildSubmission}, on {@code /user/queue/submissions}.
 *
 * @param requestId the submission's {@code requestId}
 * @param taskId    the child task; null when refused
 * @param error     why the child was refused (invalid task, stale parent attempt); null when accepted
 */
public record ChildSubmitted(String requestId, @Nullable UUID taskId, @Nullable String error) {
}
