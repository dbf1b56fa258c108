/**
 * Live events for people over STOMP ({@code /ws/events}): authentication of user tokens at CONNECT, authorization
 * of every SUBSCRIBE (deny by default, task ownership checked in the database), snapshots on subscribe, and the
 * feed of worker changes. Destinations and payloads are documented in {@code docs/events.md}.
 */
@NullMarked
package dev.taskmesh.task.events;

import org.jspecify.annotations.NullMarked;
