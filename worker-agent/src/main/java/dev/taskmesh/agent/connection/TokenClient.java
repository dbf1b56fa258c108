package dev.taskmesh.agent.connection;

import dev.taskmesh.contract.WireJson;
import dev.taskmesh.contract.auth.TokenRequest;
import dev.taskmesh.contract.auth.TokenResponse;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;

/**
 * Exchanges the worker id and token for a worker JWT at {@code POST /api/v1/auth/token} ({@code grant_type=worker}),
 * and fetches a new one once 80% of its lifetime has passed. Never logs a token.
 */
public final class TokenClient implements TokenSource {

    private static final Logger log = LoggerFactory.getLogger(TokenClient.class);
    private static final Duration REQUEST_LIMIT = Duration.ofSeconds(15);

    private final HttpClient http;
    private final ServerAddress server;
    private final String workerId;
    private final String workerToken;
    private final Clock clock;
    private @Nullable String accessToken;
    private Instant renewAt = Instant.MIN;

    public TokenClient(HttpClient http, ServerAddress server, String workerId, String workerToken, Clock clock) {
        this.http = http;
        this.server = server;
        this.workerId = workerId;
        this.workerToken = workerToken;
        this.clock = clock;
    }

    @Override
    public synchronized String current() throws IOException, InterruptedException {
        if (accessToken == null || !clock.instant().isBefore(renewAt)) {
            return refresh();
        }
        return accessToken;
    }

    /**
     * @throws WorkerRejectedException when the server answers 400, 401 or 403: the id or token is wrong or revoked
     * @throws IOException             when the server cannot be reached or answers otherwise; worth retrying
     */
    @Override
    public synchronized String refresh() throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(server.tokenUri())
                .timeout(REQUEST_LIMIT)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(
                        WireJson.mapper().writeValueAsString(TokenRequest.worker(workerId, workerToken))))
                .build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        int status = response.statusCode();
        if (status == 400 || status == 401 || status == 403) {
            throw new WorkerRejectedException("worker id or token rejected by " + server.base()
                    + " (HTTP " + status + "): check --worker-id and --token / TASKMESH_WORKER_TOKEN");
        }
        if (status != 200) {
            throw new IOException("token request to " + server.tokenUri() + " answered HTTP " + status);
        }
        TokenResponse token;
        try {
            token = WireJson.mapper().readValue(response.body(), TokenResponse.class);
        } catch (JacksonException e) {
            throw new IOException("token response of " + server.tokenUri() + " is not a token: " + e.getOriginalMessage());
        }
        if (token.access_token() == null || token.access_token().isBlank()) {
            throw new IOException("token response of " + server.tokenUri() + " has no access_token");
        }
        long lifetime = Math.max(token.expires_in(), 10);
        accessToken = token.access_token();
        renewAt = clock.instant().plusSeconds(lifetime * 4 / 5);
        log.debug("Obtained a worker token valid for {} s", lifetime);
        return accessToken;
    }

    @Override
    public String toString() {
        return "TokenClient[" + server.base() + ", worker " + workerId + "]";
    }
}
