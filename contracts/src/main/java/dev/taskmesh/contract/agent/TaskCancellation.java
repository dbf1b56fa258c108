package dev.taskmesh.contract.agent;

import java.util.UUID;

/** The server asks the agent to stop an attempt: kill its process tree, keep partial log and outputs, then complete it as CANCELLED. */
public record TaskCancellation(UUID taskId, int attempt, String reason) {
}
