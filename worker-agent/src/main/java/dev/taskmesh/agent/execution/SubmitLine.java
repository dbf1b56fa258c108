package dev.taskmesh.agent.execution;

import dev.taskmesh.contract.WireJson;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * A stdout line of the form {@code ::submit <json task>}: how a {@code command} submits a child task. The JSON is
 * the body of {@code POST /api/v1/tasks} on one line, an object with a string {@code type}, e.g.
 * {@code ::submit {"type": "command", "input": {"argv": ["echo", "hi"]}}}. The line stays in the log as well.
 *
 * @param task the child's body
 */
record SubmitLine(JsonNode task) {

    static final String PREFIX = "::submit ";

    /**
     * The child a line submits; empty for an ordinary line.
     *
     * @throws IllegalArgumentException for a line that starts with {@code ::submit } but holds no task object
     */
    static Optional<SubmitLine> parse(String line) {
        if (!line.startsWith(PREFIX)) {
            return Optional.empty();
        }
        JsonNode task;
        try {
            task = WireJson.mapper().readTree(line.substring(PREFIX.length()));
        } catch (JacksonException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage());
        }
        if (task == null || !task.isObject() || task.get("type") == null || !task.get("type").isString()) {
            throw new IllegalArgumentException("expected a JSON object with a string \"type\"");
        }
        return Optional.of(new SubmitLine(task));
    }
}
