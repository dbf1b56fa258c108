/** Which path goes to which service, the paths that are never routed, and errors of routing. */
@NullMarked
package dev.taskmesh.gateway.routing;

import org.jspecify.annotations.NullMarked;
