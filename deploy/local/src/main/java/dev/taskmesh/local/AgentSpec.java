package dev.taskmesh.local;

import java.util.List;
import java.util.regex.Pattern;

/**
 * One worker agent of a {@link LocalPlatform}: the platform creates a worker for it through the API (named
 * {@code name}, with {@code labels}), gives it the work folder {@code <data>/agents/<name>} and the log
 * {@code <data>/logs/worker-agent-<name>.log}.
 *
 * @param name   unique within the platform: letters, digits, {@code -} and {@code _}
 * @param labels the worker's labels, both registered and reported by the agent
 * @param slots  how many tasks it runs at once
 */
public record AgentSpec(String name, List<String> labels, int slots) {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,40}");

    public AgentSpec {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("An agent name is 1 to 40 letters, digits, '-' or '_', got " + name);
        }
        if (slots < 1) {
            throw new IllegalArgumentException("An agent needs at least one slot, got " + slots);
        }
        labels = List.copyOf(labels);
    }
}
