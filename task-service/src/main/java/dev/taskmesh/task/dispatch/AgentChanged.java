package dev.taskmesh.task.dispatch;

/**
 * A connected agent registered, sent a heartbeat, or went away ({@code summary.online()} false). Published
 * synchronously by {@link ConnectedAgents} on the thread that saw the change.
 *
 * @param connected true for the first heartbeat of a session: the agent just came (back) online
 */
public record AgentChanged(WorkerSummary summary, boolean connected) {
}
