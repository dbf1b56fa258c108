package dev.taskmesh.contract.agent;

import java.time.Instant;
import java.util.UUID;

/** The agent began running the attempt. */
public record TaskStarted(UUID taskId, int attempt, Instant startedAt) {
}
