/**
 * Runs one attempt of a task on this machine, whatever its type: a {@code command} as a process tree, or a
 * {@link dev.taskmesh.agent.handler.TaskHandler}. Used alike by the connected agent and by {@code run-local}.
 */
@NullMarked
package dev.taskmesh.agent.execution;

import org.jspecify.annotations.NullMarked;
