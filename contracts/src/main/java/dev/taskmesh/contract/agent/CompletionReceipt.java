package dev.taskmesh.contract.agent;

import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * The server's answer to a {@link TaskCompletion}. {@code recorded=false} means the attempt is stale (its lease was
 * taken away, or another attempt already finished): the agent drops it and must not send it again.
 */
public record CompletionReceipt(UUID taskId, int attempt, boolean recorded, @Nullable String reason) {
}
