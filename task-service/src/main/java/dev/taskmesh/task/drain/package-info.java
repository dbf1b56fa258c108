/**
 * Draining workers ({@code POST/DELETE /api/v1/workers/{id}/drain}): a drained worker finishes what it runs and is
 * offered nothing new, on every task-service instance and across restarts.
 */
@NullMarked
package dev.taskmesh.task.drain;

import org.jspecify.annotations.NullMarked;
