package dev.taskmesh.agent.execution;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * The input of a {@code command} task: {@code {"argv": ["prog", "arg", ...], "env": {"K": "V"}}}.
 *
 * @param argv the program and its arguments, not run through a shell
 * @param env  added to the agent's environment
 */
record CommandInput(List<String> argv, Map<String, String> env) {

    CommandInput {
        argv = List.copyOf(argv);
        env = Map.copyOf(env);
    }

    /**
     * Reads the input JSON.
     *
     * @throws IllegalArgumentException with a message for a person when the input has another shape
     */
    static CommandInput from(JsonNode input) {
        JsonNode argvNode = input.path("argv");
        if (!argvNode.isArray() || argvNode.isEmpty()) {
            throw new IllegalArgumentException("\"argv\" must be a non-empty array of strings");
        }
        List<String> argv = new ArrayList<>();
        for (JsonNode arg : argvNode) {
            if (!arg.isString()) {
                throw new IllegalArgumentException("\"argv\" must be a non-empty array of strings, found " + arg);
            }
            argv.add(arg.stringValue());
        }
        if (argv.getFirst().isEmpty()) {
            throw new IllegalArgumentException("\"argv\"[0], the program, must not be empty");
        }
        Map<String, String> env = new LinkedHashMap<>();
        JsonNode envNode = input.path("env");
        if (!envNode.isMissingNode() && !envNode.isNull()) {
            if (!envNode.isObject()) {
                throw new IllegalArgumentException("\"env\" must be an object of strings");
            }
            for (Map.Entry<String, JsonNode> entry : envNode.properties()) {
                if (!entry.getValue().isValueNode() || entry.getValue().isNull()) {
                    throw new IllegalArgumentException("\"env\"." + entry.getKey() + " must be a string");
                }
                env.put(entry.getKey(), entry.getValue().asString());
            }
        }
        return new CommandInput(argv, env);
    }
}
