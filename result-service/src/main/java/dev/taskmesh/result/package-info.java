/**
 * The result-service: worker agents upload each attempt's output files and log over HTTP; owners read the output
 * JSON, files, log and a zip archive of the attempt the task-service recorded.
 */
@NullMarked
package dev.taskmesh.result;

import org.jspecify.annotations.NullMarked;
