/**
 * Fan-out and fan-in over STOMP: children submitted by running tasks through their agents
 * ({@code /app/agent/submit}), the {@code ChildFinished} notices to the agents that run their parents, and the
 * completion of groups.
 */
@NullMarked
package dev.taskmesh.task.fanout;

import org.jspecify.annotations.NullMarked;
