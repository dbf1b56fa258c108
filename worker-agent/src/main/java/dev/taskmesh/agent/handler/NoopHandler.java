package dev.taskmesh.agent.handler;

/**
 * Built-in handler of type {@code noop}: succeeds at once with its input as output. It measures the platform's own
 * overhead (dispatch, messages, uploads) without any work in between.
 */
public final class NoopHandler implements TaskHandler {

    /** The task type this handler serves. */
    public static final String TYPE = "noop";

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public TaskOutcome handle(TaskContext task) {
        return TaskOutcome.succeeded(task.input());
    }
}
