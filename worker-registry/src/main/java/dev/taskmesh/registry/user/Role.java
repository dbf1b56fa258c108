package dev.taskmesh.registry.user;

/** Roles a person can hold; {@code WORKER} is never a person's role, it belongs to worker tokens alone. */
public enum Role {
    ADMIN, USER
}
