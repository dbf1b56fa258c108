/** The api-gateway of Taskmesh: routing, a first token check, WebSocket proxying, the landing page. */
@NullMarked
package dev.taskmesh.gateway;

import org.jspecify.annotations.NullMarked;
