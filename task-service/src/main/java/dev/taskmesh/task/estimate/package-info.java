/**
 * The time-to-drain estimate ({@code GET /api/v1/tasks/estimate}, gauge {@code taskmesh.queue.drain.estimate}): how
 * long the online workers need for the queued and running tasks, from observed run times per task type.
 */
@NullMarked
package dev.taskmesh.task.estimate;

import org.jspecify.annotations.NullMarked;
