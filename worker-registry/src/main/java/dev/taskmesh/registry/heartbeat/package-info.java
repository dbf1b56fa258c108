/** Latest heartbeat of each worker, written in batches, and whether the worker is online. */
@NullMarked
package dev.taskmesh.registry.heartbeat;

import org.jspecify.annotations.NullMarked;
