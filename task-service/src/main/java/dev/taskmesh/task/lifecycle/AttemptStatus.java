package dev.taskmesh.task.lifecycle;

/** How one attempt of a task went. */
public enum AttemptStatus {
    /** Assigned to an agent and not finished yet. */
    RUNNING,
    SUCCEEDED,
    FAILED,
    CANCELLED,
    /** The agent stopped renewing its lease, or reconnected without it: the task went back to the queue or failed. */
    LOST,
    /** The agent reported on it after it had stopped being the task's current attempt. */
    STALE
}
