/**
 * The worker registry of Taskmesh: who may log in ({@code user}), how tokens are issued and verified
 * ({@code auth}), which workers exist ({@code worker}) and whether they are alive ({@code heartbeat}).
 */
@NullMarked
package dev.taskmesh.registry;

import org.jspecify.annotations.NullMarked;
