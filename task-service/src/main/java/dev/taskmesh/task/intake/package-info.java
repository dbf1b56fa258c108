/** Task intake over REST: submit, read, list and cancel tasks ({@code /api/v1/tasks}). */
@NullMarked
package dev.taskmesh.task.intake;

import org.jspecify.annotations.NullMarked;
