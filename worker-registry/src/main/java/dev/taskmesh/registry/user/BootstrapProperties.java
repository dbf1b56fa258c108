package dev.taskmesh.registry.user;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * How a fresh registry gets its first admin.
 *
 * @param adminPassword password of the user {@code admin}, created at startup with roles ADMIN and USER when no
 *                      such user exists; changing it later does not change an existing admin's password
 */
@ConfigurationProperties("taskmesh.registry")
record BootstrapProperties(@Nullable String adminPassword) {
}
