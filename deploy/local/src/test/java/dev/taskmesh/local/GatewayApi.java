package dev.taskmesh.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.contract.WireJson;
import dev.taskmesh.contract.auth.TokenRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/** The public API as a client sees it: plain HTTP to the gateway, JSON read as trees. */
final class GatewayApi {

    /** An answer, kept whole so that assertions can show it. */
    record Answer(int status, String contentType, byte[] body) {

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        JsonNode json() {
            return WireJson.mapper().readTree(body);
        }

        @Override
        public String toString() {
            String text = text();
            return "HTTP " + status + " " + contentType + " " + (text.length() > 2000 ? text.substring(0, 2000) + "…" : text);
        }
    }

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private final String baseUrl;

    GatewayApi(String baseUrl) {
        this.baseUrl = baseUrl;
    }

    Answer get(String path, @Nullable String token) {
        return send(request(path, token).GET());
    }

    Answer post(String path, @Nullable String token, Object body) {
        return postRaw(path, token, WireJson.mapper().writeValueAsString(body));
    }

    Answer postRaw(String path, @Nullable String token, String json) {
        return send(request(path, token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    /** A PUT of raw bytes, as agents upload outputs and logs. */
    Answer put(String path, @Nullable String token, String contentType, byte[] body) {
        return send(request(path, token)
                .header("Content-Type", contentType)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    /** A person's access token. */
    String token(String username, String password) {
        Answer answer = post(ApiPaths.AUTH_TOKEN, null, TokenRequest.password(username, password));
        assertThat(answer.status()).as("log in as %s: %s", username, answer).isEqualTo(200);
        return answer.json().path("access_token").asString();
    }

    /** A worker's access token, exchanged like the agent does. */
    String workerToken(LocalWorker worker) {
        Answer answer = post(ApiPaths.AUTH_TOKEN, null, TokenRequest.worker(worker.id(), worker.token()));
        assertThat(answer.status()).as("worker token exchange: %s", answer).isEqualTo(200);
        return answer.json().path("access_token").asString();
    }

    private HttpRequest.Builder request(String path, @Nullable String token) {
        var builder = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(30));
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        return builder;
    }

    private Answer send(HttpRequest.Builder request) {
        try {
            HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Answer(response.statusCode(), response.headers().firstValue("Content-Type").orElse(""),
                    response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
