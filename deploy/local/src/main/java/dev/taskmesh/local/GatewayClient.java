package dev.taskmesh.local;

import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.contract.WireJson;
import dev.taskmesh.contract.auth.TokenRequest;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/** The few public API calls the launcher makes itself, through the gateway like any client. */
final class GatewayClient {

    private final HttpClient http;
    private final String baseUrl;

    GatewayClient(HttpClient http, String baseUrl) {
        this.http = http;
        this.baseUrl = baseUrl;
    }

    /** An access token for a person. */
    String login(String username, String password) {
        HttpResponse<String> response = post(ApiPaths.AUTH_TOKEN, TokenRequest.password(username, password), null);
        if (response.statusCode() != 200) {
            throw new PlatformException("Cannot log in as " + username + " (HTTP " + response.statusCode() + ": "
                    + response.body() + "). The registry keeps the password admin had when it was created; "
                    + "see deploy/README.md to reset the data directory.");
        }
        return WireJson.mapper().readTree(response.body()).path("access_token").asString();
    }

    /** Creates a worker; its token is in this answer only. */
    LocalWorker createWorker(String adminToken, String name, List<String> labels) {
        HttpResponse<String> response = post(ApiPaths.WORKERS, Map.of("name", name, "labels", labels), adminToken);
        if (response.statusCode() != 200 && response.statusCode() != 201) {
            throw new PlatformException("Cannot create the local worker (HTTP " + response.statusCode() + ": "
                    + response.body() + ")");
        }
        JsonNode body = WireJson.mapper().readTree(response.body());
        return new LocalWorker(body.path("id").asString(), body.path("token").asString());
    }

    /** Whether the registry still accepts this worker's token (it does not after the database was reset). */
    boolean accepts(LocalWorker worker) {
        int status = post(ApiPaths.AUTH_TOKEN, TokenRequest.worker(worker.id(), worker.token()), null).statusCode();
        if (status >= 500) {
            throw new PlatformException("The registry failed to check the local worker's token (HTTP " + status + ")");
        }
        return status == 200;
    }

    /** The worker as {@code GET /api/v1/workers} lists it, if listed. */
    Optional<JsonNode> worker(String adminToken, String workerId) {
        var request = HttpRequest.newBuilder(URI.create(baseUrl + ApiPaths.WORKERS))
                .timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + adminToken)
                .GET()
                .build();
        HttpResponse<String> response = send(request);
        if (response.statusCode() != 200) {
            return Optional.empty();
        }
        JsonNode body = WireJson.mapper().readTree(response.body());
        JsonNode items = body.isArray() ? body : body.path("items");
        for (JsonNode worker : items.values()) {
            if (workerId.equals(worker.path("id").asString(""))) {
                return Optional.of(worker);
            }
        }
        return Optional.empty();
    }

    private HttpResponse<String> post(String path, Object body, @Nullable String token) {
        var request = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(WireJson.mapper().writeValueAsString(body)));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return send(request.build());
    }

    private HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new PlatformException(request.method() + " " + request.uri() + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PlatformException("Interrupted during " + request.method() + " " + request.uri(), e);
        }
    }
}
