package dev.taskmesh.gateway.session;

import org.jspecify.annotations.Nullable;

/** Body of {@code POST /ui/session}. */
record LoginRequest(@Nullable String username, @Nullable String password) {
}
