package dev.taskmesh.contract.task;

import java.util.EnumSet;
import java.util.Set;

/**
 * The task lifecycle as an explicit state machine. A change not allowed here is a bug or a stale message,
 * and is refused.
 */
public enum TaskStatus {
    QUEUED, ASSIGNED, RUNNING, SUCCEEDED, FAILED, CANCELLED;

    /** Whether the task has its one recorded outcome and will never change again. */
    public boolean isFinal() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }

    /** Whether a task in this state holds a slot of an agent. */
    public boolean isActive() {
        return this == ASSIGNED || this == RUNNING;
    }

    public boolean canMoveTo(TaskStatus next) {
        return allowedNext().contains(next);
    }

    private Set<TaskStatus> allowedNext() {
        return switch (this) {
            case QUEUED -> EnumSet.of(ASSIGNED, FAILED, CANCELLED);
            // back to QUEUED when the agent is lost and attempts remain
            case ASSIGNED -> EnumSet.of(RUNNING, QUEUED, SUCCEEDED, FAILED, CANCELLED);
            case RUNNING -> EnumSet.of(QUEUED, SUCCEEDED, FAILED, CANCELLED);
            case SUCCEEDED, FAILED, CANCELLED -> EnumSet.noneOf(TaskStatus.class);
        };
    }
}
