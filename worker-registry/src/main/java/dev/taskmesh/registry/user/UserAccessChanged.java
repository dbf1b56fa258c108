package dev.taskmesh.registry.user;

import java.util.UUID;

/**
 * Published inside the transaction that disabled a user or changed their password or roles: sessions opened
 * before must end, so listeners revoke the user's refresh tokens.
 */
public record UserAccessChanged(UUID userId) {
}
