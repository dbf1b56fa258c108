package dev.taskmesh.contract.auth;

import org.jspecify.annotations.Nullable;

/**
 * Body of {@code POST /api/v1/auth/token}. People send {@code username} and {@code password}; worker agents
 * send {@code grant_type = "worker"} with {@code worker_id} and {@code worker_token}.
 */
public record TokenRequest(@Nullable String grant_type, @Nullable String username, @Nullable String password,
                           @Nullable String worker_id, @Nullable String worker_token) {

    public static final String WORKER_GRANT = "worker";

    public static TokenRequest password(String username, String password) {
        return new TokenRequest("password", username, password, null, null);
    }

    public static TokenRequest worker(String workerId, String workerToken) {
        return new TokenRequest(WORKER_GRANT, null, null, workerId, workerToken);
    }
}
