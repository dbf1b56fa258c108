/**
 * Dispatch to worker agents over STOMP ({@code /ws/agent}): agent authentication at CONNECT, the agents connected
 * to this instance, the dispatcher loop that claims and pushes tasks, agent messages, leases renewed by heartbeats
 * and the sweep that requeues the tasks of lost workers.
 */
@NullMarked
package dev.taskmesh.task.dispatch;

import org.jspecify.annotations.NullMarked;
