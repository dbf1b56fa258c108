package dev.taskmesh.support;

import dev.taskmesh.contract.auth.Claims;
import java.util.List;
import java.util.Set;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationToken;

/**
 * Who made the request, read from its verified access token. Controllers take it as a parameter.
 *
 * @param id    the user's id, or the worker's id
 * @param name  login name (or worker name)
 * @param roles {@code ADMIN}, {@code USER}, {@code WORKER}
 * @param token the raw bearer token, to call another service on the caller's behalf
 */
public record Caller(String id, String name, Set<String> roles, String token) {

    public Caller {
        roles = Set.copyOf(roles);
    }

    public boolean isAdmin() {
        return roles.contains(Claims.ROLE_ADMIN);
    }

    public boolean isWorker() {
        return roles.contains(Claims.ROLE_WORKER);
    }

    /** Whether the caller may see or change something owned by {@code ownerId}. */
    public boolean mayAccess(String ownerId) {
        return isAdmin() || id.equals(ownerId);
    }

    public static Caller from(Jwt jwt) {
        List<String> roles = jwt.getClaimAsStringList(Claims.ROLES);
        String name = jwt.getClaimAsString(Claims.NAME);
        return new Caller(jwt.getSubject(), name == null ? jwt.getSubject() : name,
                roles == null ? Set.of() : Set.copyOf(roles), jwt.getTokenValue());
    }

    public static Caller from(Authentication authentication) {
        if (authentication instanceof JwtAuthenticationToken jwt) {
            return from(jwt.getToken());
        }
        throw new IllegalStateException("Not a token authentication: " + authentication.getClass().getSimpleName());
    }
}
