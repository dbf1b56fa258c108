package dev.taskmesh.registry.worker;

import java.util.UUID;

/** A worker whose token was checked: what goes into its worker token. */
public record AuthenticatedWorker(UUID id, String name) {
}
