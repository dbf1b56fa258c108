/** Uploads by worker agents: output files and the log of an attempt, streamed to disk. */
@NullMarked
package dev.taskmesh.result.upload;

import org.jspecify.annotations.NullMarked;
