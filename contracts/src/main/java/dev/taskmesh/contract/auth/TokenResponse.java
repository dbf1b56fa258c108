package dev.taskmesh.contract.auth;

import org.jspecify.annotations.Nullable;

/** An OAuth2-style token answer; worker tokens come without a refresh token (the agent asks again with its own token). */
public record TokenResponse(String access_token, @Nullable String refresh_token, String token_type, long expires_in) {
}
