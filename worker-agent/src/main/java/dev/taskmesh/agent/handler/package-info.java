/**
 * Public API for running tasks inside the agent's JVM: implement {@link dev.taskmesh.agent.handler.TaskHandler} and
 * register it in {@code META-INF/services/dev.taskmesh.agent.handler.TaskHandler}.
 */
@NullMarked
package dev.taskmesh.agent.handler;

import org.jspecify.annotations.NullMarked;
