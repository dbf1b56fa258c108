package dev.taskmesh.task.events;

import org.jspecify.annotations.Nullable;

/**
 * Sent to a person's session on {@code /user/queue/errors} when a subscription is refused (the session stays open)
 * or a snapshot cannot be given.
 *
 * @param code        {@code FORBIDDEN} (someone else's task, or an admin-only destination) or {@code NOT_FOUND}
 * @param destination the destination subscribed to
 * @param subscription the id of the refused subscription
 */
record EventError(String code, String message, @Nullable String destination, @Nullable String subscription) {

    static final String FORBIDDEN = "FORBIDDEN";
    static final String NOT_FOUND = "NOT_FOUND";
}
