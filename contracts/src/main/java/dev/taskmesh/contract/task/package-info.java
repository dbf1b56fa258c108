/** The task lifecycle shared by the services and clients. */
@NullMarked
package dev.taskmesh.contract.task;

import org.jspecify.annotations.NullMarked;
