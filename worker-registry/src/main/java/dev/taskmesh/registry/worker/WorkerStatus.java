package dev.taskmesh.registry.worker;

/**
 * Whether a worker sent a heartbeat within {@code taskmesh.registry.offline-after}; an online worker that an
 * administrator drained (it finishes what it runs and gets nothing new) is {@code DRAINING}.
 */
enum WorkerStatus {
    ONLINE, OFFLINE, DRAINING
}
