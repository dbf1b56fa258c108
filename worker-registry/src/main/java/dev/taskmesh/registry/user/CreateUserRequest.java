package dev.taskmesh.registry.user;

import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Body of {@code POST /api/v1/users}.
 *
 * @param username 3 to 64 characters of {@code [a-zA-Z0-9._-]}
 * @param password at least 8 characters; at most 72 bytes, BCrypt ignores the rest
 * @param roles    {@code ADMIN} and/or {@code USER}; {@code [USER]} when left out
 */
record CreateUserRequest(
        @NotNull @Size(min = 3, max = 64) @Pattern(regexp = Users.USERNAME_PATTERN) String username,
        @NotNull @Size(min = 8, max = 72) String password,
        @Nullable @Size(min = 1, message = "must hold at least one role") List<@NotNull Role> roles) {
}
