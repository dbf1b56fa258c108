package dev.taskmesh.registry.worker;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * Answer of creating a worker or rotating its token: the only time the token is ever shown.
 *
 * @param token {@code tmw_} followed by 256 random bits, base64url; the agent's {@code worker_token}
 */
record WorkerCredentials(UUID id, String name, List<String> labels, String token, Instant createdAt) {
}
