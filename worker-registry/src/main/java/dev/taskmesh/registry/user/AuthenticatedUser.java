package dev.taskmesh.registry.user;

import java.util.List;
import java.util.UUID;

/** A user whose credentials were checked (or whose refresh token was), with what goes into their token. */
public record AuthenticatedUser(UUID id, String username, List<Role> roles) {

    public AuthenticatedUser {
        roles = List.copyOf(roles);
    }
}
