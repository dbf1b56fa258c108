/** People who use Taskmesh: accounts, BCrypt passwords, roles, and the first admin. */
@NullMarked
package dev.taskmesh.registry.user;

import org.jspecify.annotations.NullMarked;
