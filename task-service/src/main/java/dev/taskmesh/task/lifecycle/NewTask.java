package dev.taskmesh.task.lifecycle;

import java.util.List;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/** A validated submission, ready to be stored as a QUEUED task. */
public record NewTask(String type, String owner, String ownerName, JsonNode input, Requirements requirements,
                      int priority, @Nullable Integer timeoutSeconds, int maxAttempts,
                      @Nullable String idempotencyKey, List<String> targetWorkers) {

    public NewTask {
        targetWorkers = List.copyOf(targetWorkers);
    }
}
