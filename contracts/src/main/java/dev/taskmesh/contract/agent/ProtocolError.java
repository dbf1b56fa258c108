package dev.taskmesh.contract.agent;

import java.util.UUID;
import org.jspecify.annotations.Nullable;

/** A message the server refused, e.g. {@code STALE_ATTEMPT} or {@code INVALID_MESSAGE}. */
public record ProtocolError(String code, String message, @Nullable UUID taskId, @Nullable Integer attempt) {
}
