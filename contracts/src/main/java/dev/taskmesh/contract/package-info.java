/**
 * The wire contract of Taskmesh: every message between worker agents and the services, the STOMP
 * destinations and the HTTP paths, in one place so that no side keeps a copy that can drift.
 */
@NullMarked
package dev.taskmesh.contract;

import org.jspecify.annotations.NullMarked;
