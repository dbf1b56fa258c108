package dev.taskmesh.contract.agent;

import java.time.Instant;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * Progress of a running attempt. A new {@code stage} closes the previous one as a step with its duration.
 *
 * @param percent 0 to 100, or null when unknown
 * @param stage   name of the current step, e.g. {@code Resizing images}
 * @param message optional detail
 * @param at      when the agent saw it
 */
public record TaskProgress(UUID taskId, int attempt, @Nullable Integer percent, @Nullable String stage,
                           @Nullable String message, Instant at) {
}
