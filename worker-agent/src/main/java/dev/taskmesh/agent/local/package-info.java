/** {@code run-local}: runs one task on this machine with the agent's own processors, no platform involved. */
@NullMarked
package dev.taskmesh.agent.local;

import org.jspecify.annotations.NullMarked;
