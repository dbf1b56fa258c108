package dev.taskmesh.registry.auth;

import dev.taskmesh.contract.auth.Claims;
import dev.taskmesh.contract.auth.TokenRequest;
import dev.taskmesh.contract.auth.TokenResponse;
import dev.taskmesh.registry.user.AuthenticatedUser;
import dev.taskmesh.registry.user.Role;
import dev.taskmesh.registry.user.Users;
import dev.taskmesh.registry.worker.AuthenticatedWorker;
import dev.taskmesh.registry.worker.Workers;
import dev.taskmesh.support.ApiException;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Exchanges credentials for tokens: the password grant, the worker grant, and refresh. */
@Service
class TokenGrants {

    static final String PASSWORD_GRANT = "password";
    private static final String BEARER = "Bearer";

    private final Users users;
    private final Workers workers;
    private final AccessTokens accessTokens;
    private final RefreshTokens refreshTokens;
    private final TokenProperties properties;

    TokenGrants(Users users, Workers workers, AccessTokens accessTokens, RefreshTokens refreshTokens,
                TokenProperties properties) {
        this.users = users;
        this.workers = workers;
        this.accessTokens = accessTokens;
        this.refreshTokens = refreshTokens;
        this.properties = properties;
    }

    /** Checks credentials outside any transaction (BCrypt is slow); only storing a refresh token needs one. */
    TokenResponse grant(TokenRequest request) {
        String grantType = request.grant_type() == null ? PASSWORD_GRANT : request.grant_type();
        return switch (grantType) {
            case PASSWORD_GRANT -> passwordGrant(required(request.username(), "username"),
                    required(request.password(), "password"));
            case TokenRequest.WORKER_GRANT -> workerGrant(required(request.worker_id(), "worker_id"),
                    required(request.worker_token(), "worker_token"));
            default -> throw ApiException.badRequest("Unsupported grant_type '" + grantType
                    + "'; use 'password' or 'worker'");
        };
    }

    /** Uses up a refresh token without issuing anything (logout). */
    void revoke(String refreshToken) {
        refreshTokens.consume(refreshToken, Instant.now());
    }

    /** A new pair for a refresh token, which is used up; an unknown, used or expired one is refused. */
    @Transactional
    TokenResponse refresh(String refreshToken) {
        Instant now = Instant.now();
        AuthenticatedUser user = refreshTokens.consume(refreshToken, now)
                .flatMap(users::findEnabled)
                .orElseThrow(() -> unauthorized("Invalid, expired or already used refresh token"));
        return forUser(user, now);
    }

    private TokenResponse passwordGrant(String username, String password) {
        AuthenticatedUser user = users.authenticate(username, password)
                .orElseThrow(() -> unauthorized("Invalid username or password"));
        return forUser(user, Instant.now());
    }

    private TokenResponse workerGrant(String workerId, String workerToken) {
        AuthenticatedWorker worker = workers.authenticate(workerId, workerToken)
                .orElseThrow(() -> unauthorized("Invalid worker id or worker token"));
        String token = accessTokens.sign(worker.id(), worker.name(), List.of(Claims.ROLE_WORKER), Instant.now(),
                properties.workerTokenTtl());
        return new TokenResponse(token, null, BEARER, properties.workerTokenTtl().toSeconds());
    }

    private TokenResponse forUser(AuthenticatedUser user, Instant now) {
        List<String> roles = user.roles().stream().map(Role::name).toList();
        String access = accessTokens.sign(user.id(), user.username(), roles, now, properties.accessTokenTtl());
        String refresh = refreshTokens.issue(user.id(), now);
        return new TokenResponse(access, refresh, BEARER, properties.accessTokenTtl().toSeconds());
    }

    private static String required(@Nullable String value, String field) {
        if (value == null || value.isBlank()) {
            throw ApiException.badRequest(field + " is required");
        }
        return value;
    }

    private static ApiException unauthorized(String detail) {
        return ApiException.unauthorized(detail);
    }
}
