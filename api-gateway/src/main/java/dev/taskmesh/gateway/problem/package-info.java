/** RFC 9457 problem+json written by the gateway itself. */
@NullMarked
package dev.taskmesh.gateway.problem;

import org.jspecify.annotations.NullMarked;
