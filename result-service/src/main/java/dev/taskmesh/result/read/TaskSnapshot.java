package dev.taskmesh.result.read;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.taskmesh.contract.task.TaskStatus;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * The part of the task-service's task JSON this service needs.
 *
 * @param attempt  the current attempt (0 while never assigned), whose uploads are the recorded ones
 * @param workerId the worker of the current attempt; uploads by any other worker are never served
 * @param output   the recorded attempt's output JSON when its agent sent it with the completion instead of
 *                 uploading {@code result.json}; null otherwise
 */
@JsonIgnoreProperties(ignoreUnknown = true)
record TaskSnapshot(UUID id, TaskStatus status, int attempt, @Nullable String workerId, @Nullable JsonNode output) {

    TaskSnapshot {
        // the task JSON leaves out an absent output; Jackson reads that as a JSON null node, which is no output
        output = output == null || output.isNull() || output.isMissingNode() ? null : output;
    }
}
