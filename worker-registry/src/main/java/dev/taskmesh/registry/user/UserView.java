package dev.taskmesh.registry.user;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** A user as the API shows it; never the password hash. */
record UserView(UUID id, String username, List<Role> roles, boolean enabled, Instant createdAt) {

    static UserView from(User user) {
        return new UserView(user.id(), user.username(), user.roles(), user.enabled(), user.createdAt());
    }
}
