/**
 * The task-service: takes tasks over REST, pushes them to worker agents over STOMP, and records the one outcome of
 * each task.
 */
@NullMarked
package dev.taskmesh.task;

import org.jspecify.annotations.NullMarked;
