package dev.taskmesh.gateway.session;

import java.util.List;

/**
 * What the page gets from a login or refresh: an access token to keep in memory and who it belongs to. Snake case
 * like the registry's token answer; never the refresh token, which stays in its cookie.
 *
 * @param expires_in seconds until the access token expires
 */
record SessionView(String access_token, long expires_in, User user) {

    /**
     * The person logged in, from the access token's claims.
     *
     * @param id       the {@code sub} claim
     * @param username the {@code name} claim
     * @param roles    the {@code roles} claim: {@code ADMIN} and/or {@code USER}
     */
    record User(String id, String username, List<String> roles) {
    }
}
