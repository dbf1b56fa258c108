/**
 * The task lifecycle: the {@code tasks} and {@code task_attempts} tables and every change of a task's state.
 * Each change is one guarded SQL update (fenced by attempt number and worker), and is announced as a
 * {@link dev.taskmesh.task.lifecycle.TaskChanged} event after its transaction commits.
 */
@NullMarked
package dev.taskmesh.task.lifecycle;

import org.jspecify.annotations.NullMarked;
