/** Registered workers: their names, labels and hashed tokens, and how people see them. */
@NullMarked
package dev.taskmesh.registry.worker;

import org.jspecify.annotations.NullMarked;
