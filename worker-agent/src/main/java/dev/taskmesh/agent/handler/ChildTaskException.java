package dev.taskmesh.agent.handler;

/**
 * A child task could not be submitted: the platform refused it (invalid task, or this attempt is no longer the
 * task's current one), no answer came in time, or the agent runs without a platform ({@code run-local}).
 */
public class ChildTaskException extends RuntimeException {

    public ChildTaskException(String message) {
        super(message);
    }
}
