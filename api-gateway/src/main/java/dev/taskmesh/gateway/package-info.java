/**
 * The api-gateway of Taskmesh: routing, a first token check, WebSocket proxying, the dashboard and its login
 * session.
 */
@NullMarked
package dev.taskmesh.gateway;

import org.jspecify.annotations.NullMarked;
