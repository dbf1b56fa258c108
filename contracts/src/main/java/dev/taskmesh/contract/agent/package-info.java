/** Messages between worker agents and the task-service over STOMP. */
@NullMarked
package dev.taskmesh.contract.agent;

import org.jspecify.annotations.NullMarked;
