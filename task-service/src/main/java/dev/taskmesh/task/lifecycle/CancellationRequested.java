package dev.taskmesh.task.lifecycle;

import dev.taskmesh.contract.agent.TaskCancellation;

/** A person cancelled a task an agent holds; the agent must be told to stop it once the cancellation is committed. */
public record CancellationRequested(String workerId, TaskCancellation cancellation) {
}
