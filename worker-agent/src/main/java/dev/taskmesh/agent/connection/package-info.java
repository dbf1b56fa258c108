/**
 * Everything that talks to the platform: the worker token exchange, the STOMP session with the task-service
 * (reconnecting with backoff), batching of log lines and the HTTP upload of outputs and logs.
 */
@NullMarked
package dev.taskmesh.agent.connection;

import org.jspecify.annotations.NullMarked;
