/**
 * What the service stores per task attempt: the claim of the uploading worker, the log flag, output file metadata
 * in the database and the bytes on disk.
 */
@NullMarked
package dev.taskmesh.result.attempt;

import org.jspecify.annotations.NullMarked;
