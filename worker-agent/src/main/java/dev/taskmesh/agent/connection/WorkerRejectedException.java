package dev.taskmesh.agent.connection;

/** The platform refused the worker's id or token: retrying cannot help, the agent stops. */
public final class WorkerRejectedException extends RuntimeException {

    public WorkerRejectedException(String message) {
        super(message);
    }
}
