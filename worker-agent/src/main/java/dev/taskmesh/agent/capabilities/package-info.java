/** What this node offers: CPUs, memory, GPUs, task types, labels and slots. */
@NullMarked
package dev.taskmesh.agent.capabilities;

import org.jspecify.annotations.NullMarked;
