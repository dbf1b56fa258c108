/** The agent's command line ({@code agent}, {@code run-local}) and the connected agent itself. */
@NullMarked
package dev.taskmesh.agent;

import org.jspecify.annotations.NullMarked;
