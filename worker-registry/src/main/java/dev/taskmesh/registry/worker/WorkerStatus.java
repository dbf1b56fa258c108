package dev.taskmesh.registry.worker;

/** Whether a worker sent a heartbeat within {@code taskmesh.registry.offline-after}. */
enum WorkerStatus {
    ONLINE, OFFLINE
}
