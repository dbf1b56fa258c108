package dev.taskmesh.registry.auth;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;

/** Body of {@code POST /api/v1/auth/refresh}; snake_case like the token answer it pairs with. */
record RefreshRequest(@NotBlank @Size(max = 256) String refresh_token) {
}
