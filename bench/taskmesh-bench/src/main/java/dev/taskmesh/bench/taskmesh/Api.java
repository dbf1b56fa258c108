package dev.taskmesh.bench.taskmesh;

import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.contract.WireJson;
import dev.taskmesh.contract.auth.TokenRequest;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/** The public REST API through the gateway, as a client sees it. Access tokens last 15 min: renewed after 10. */
final class Api {

    private static final Duration RENEW_AFTER = Duration.ofMinutes(10);

    /** One answer: status and parsed body (a missing node for an empty body). */
    record Answer(int status, JsonNode body) {
    }

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private final String baseUrl;
    private final String adminPassword;
    private String token;
    private long tokenAt;

    Api(String baseUrl, String adminPassword) {
        this.baseUrl = baseUrl;
        this.adminPassword = adminPassword;
    }

    String baseUrl() {
        return baseUrl;
    }

    synchronized String adminToken() {
        if (token == null || System.nanoTime() - tokenAt > RENEW_AFTER.toNanos()) {
            Answer answer = send(post(ApiPaths.AUTH_TOKEN, TokenRequest.password("admin", adminPassword)), null);
            require(answer, 200, "admin login");
            token = answer.body().path("access_token").asString();
            tokenAt = System.nanoTime();
        }
        return token;
    }

    /** A worker's access token, as its agent gets it. */
    String workerToken(String workerId, String workerSecret) {
        Answer answer = send(post(ApiPaths.AUTH_TOKEN, TokenRequest.worker(workerId, workerSecret)), null);
        require(answer, 200, "worker token");
        return answer.body().path("access_token").asString();
    }

    /** Creates a worker; returns its id and token. */
    String[] createWorker(String name, String label) {
        Answer answer = send(post(ApiPaths.WORKERS, Map.of("name", name, "labels", java.util.List.of(label))),
                adminToken());
        if (answer.status() != 200 && answer.status() != 201) {
            throw new IllegalStateException("create worker: HTTP " + answer.status() + " " + answer.body());
        }
        return new String[] {answer.body().path("id").asString(), answer.body().path("token").asString()};
    }

    String workerStatus(String id) {
        Answer answer = get(ApiPaths.WORKERS + "/" + id);
        return answer.status() == 200 ? answer.body().path("status").asString("") : "HTTP " + answer.status();
    }

    Answer submit(Object task) {
        return send(post(ApiPaths.TASKS, task), adminToken());
    }

    /** Submits and waits for the outcome in the same request, up to {@code waitSeconds}. */
    Answer submitAndWait(Object task, int waitSeconds) {
        return send(post(ApiPaths.TASKS + "?waitSeconds=" + waitSeconds, task), adminToken());
    }

    /** A batch answered with the ids alone: a client that submits thousands of tasks needs no more. */
    Answer submitBatch(Object batch) {
        return send(post(ApiPaths.TASKS + ":batch?view=ids", batch), adminToken());
    }

    Answer get(String path) {
        return send(HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(30)).GET(),
                adminToken());
    }

    Answer cancel(String taskId) {
        return send(HttpRequest.newBuilder(URI.create(baseUrl + ApiPaths.TASKS + "/" + taskId + "/cancel"))
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.noBody()), adminToken());
    }

    private HttpRequest.Builder post(String path, Object body) {
        return HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(WireJson.mapper().writeValueAsString(body)));
    }

    private Answer send(HttpRequest.Builder request, String bearer) {
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        HttpRequest built = request.build();
        try {
            HttpResponse<String> response = http.send(built, HttpResponse.BodyHandlers.ofString());
            return new Answer(response.statusCode(), parse(response.body()));
        } catch (IOException e) {
            throw new IllegalStateException(built.method() + " " + built.uri() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static JsonNode parse(String body) {
        if (body == null || body.isBlank()) {
            return WireJson.mapper().missingNode();
        }
        try {
            return WireJson.mapper().readTree(body);
        } catch (RuntimeException e) {
            // not JSON (an HTML error page): the status tells enough
            return WireJson.mapper().missingNode();
        }
    }

    private static void require(Answer answer, int status, String what) {
        if (answer.status() != status) {
            throw new IllegalStateException(what + ": HTTP " + answer.status() + " " + answer.body());
        }
    }
}
