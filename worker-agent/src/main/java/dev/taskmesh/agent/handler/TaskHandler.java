package dev.taskmesh.agent.handler;

/**
 * Runs tasks of one type inside the agent's JVM, as an alternative to the {@code command} type that starts a process.
 * <p>
 * Implementations are discovered with {@link java.util.ServiceLoader}: list the class in
 * {@code META-INF/services/dev.taskmesh.agent.handler.TaskHandler} of a jar on the agent's class path. The class needs
 * a public no-argument constructor. The agent advertises {@link #type()} in its capabilities, so the platform sends it
 * only tasks of that type.
 * <p>
 * {@link #handle(TaskContext)} runs on its own virtual thread and may block. One instance serves every task of its
 * type, possibly several at once, so it must be thread-safe.
 */
public interface TaskHandler {

    /**
     * The task type this handler runs, e.g. {@code thumbnail}. Must not be {@code command}, which the agent itself
     * implements.
     */
    String type();

    /**
     * Runs one attempt of a task.
     * <p>
     * When the task is cancelled or times out, {@link TaskContext#isCancelled()} turns true and the thread is
     * interrupted; the handler should stop soon after. Whatever it returns then, the attempt ends as cancelled (or
     * failed, for a timeout).
     *
     * @param task the attempt: input, output folder, progress and log
     * @return how the attempt ended
     * @throws Exception any failure; the attempt ends as FAILED with the exception's message and may be retried
     */
    TaskOutcome handle(TaskContext task) throws Exception;
}
