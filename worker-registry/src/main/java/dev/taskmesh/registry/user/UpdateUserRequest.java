package dev.taskmesh.registry.user;

import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Body of {@code PATCH /api/v1/users/{id}}; fields left out stay as they are.
 *
 * @param roles    the new roles, replacing the old ones
 * @param enabled  {@code false} stops the user from logging in and revokes their refresh tokens
 * @param password a new password; revokes their refresh tokens
 */
record UpdateUserRequest(
        @Nullable @Size(min = 1, message = "must hold at least one role") List<@NotNull Role> roles,
        @Nullable Boolean enabled,
        @Nullable @Size(min = 8, max = 72) String password) {
}
