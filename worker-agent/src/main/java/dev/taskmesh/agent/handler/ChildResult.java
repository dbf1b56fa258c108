package dev.taskmesh.agent.handler;

import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * How a child task ended ({@link TaskContext#awaitChildren}).
 *
 * @param id       the child task
 * @param status   {@code SUCCEEDED}, {@code FAILED} or {@code CANCELLED}
 * @param error    the child's error, for FAILED and CANCELLED
 * @param workerId the worker that ran its last attempt; null when it never ran
 */
public record ChildResult(UUID id, String status, @Nullable String error, @Nullable String workerId) {

    public boolean succeeded() {
        return "SUCCEEDED".equals(status);
    }
}
