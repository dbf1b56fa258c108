package dev.taskmesh.contract.agent;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * A task pushed to an agent. The agent starts it at once (it was offered only because a slot was free) and
 * sends {@link TaskStarted}.
 *
 * @param taskId         the task
 * @param attempt        fencing token: every message about this run carries it; 1 for the first attempt
 * @param type           {@code command} or a handler's type
 * @param input          the task's input JSON; for {@code command}: {@code {"argv": [...], "env": {...}}}
 * @param timeoutSeconds run-time limit, after which the agent kills the process tree; null for none
 * @param owner          the user who submitted it, for logs and child tasks
 * @param assignedAt     server time of the assignment
 * @param labels         free-form metadata of the task, passed to the process as environment where useful
 */
public record TaskAssignment(UUID taskId, int attempt, String type, JsonNode input, @Nullable Integer timeoutSeconds,
                             String owner, Instant assignedAt, Map<String, String> labels) {

    public TaskAssignment {
        labels = Map.copyOf(labels);
    }
}
