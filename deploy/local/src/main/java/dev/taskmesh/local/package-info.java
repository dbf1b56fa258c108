/**
 * The one-machine launcher behind {@code ./taskmesh dev}: an embedded PostgreSQL, the four services and a
 * local worker agent as child JVMs, started in order, watched, and stopped in reverse order.
 */
@NullMarked
package dev.taskmesh.local;

import org.jspecify.annotations.NullMarked;
