/**
 * Reading results: the task-service decides, with the caller's own token, who may see a task and which attempt
 * counts; only that attempt's uploads by that attempt's worker are served.
 */
@NullMarked
package dev.taskmesh.result.read;

import org.jspecify.annotations.NullMarked;
