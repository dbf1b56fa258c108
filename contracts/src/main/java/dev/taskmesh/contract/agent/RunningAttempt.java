package dev.taskmesh.contract.agent;

import java.util.UUID;

/** An attempt an agent is running now; the pair is the fencing token of every message about it. */
public record RunningAttempt(UUID taskId, int attempt) {
}
