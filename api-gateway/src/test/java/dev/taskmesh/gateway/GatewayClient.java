package dev.taskmesh.gateway;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.json.JsonMapper;

/** Plain HTTP/1.1 calls to the gateway under test, as any client would make them. */
final class GatewayClient {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private final int port;

    GatewayClient(int port) {
        this.port = port;
    }

    URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + port + pathAndQuery);
    }

    HttpResponse<String> get(String pathAndQuery, @Nullable String token) {
        return send(request(pathAndQuery, token).GET().build());
    }

    HttpResponse<String> send(String method, String pathAndQuery, @Nullable String token,
                              HttpRequest.BodyPublisher body) {
        return send(request(pathAndQuery, token).method(method, body).build());
    }

    HttpRequest.Builder request(String pathAndQuery, @Nullable String token) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri(pathAndQuery)).timeout(Duration.ofSeconds(30));
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        return builder;
    }

    HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The JSON body of a response as a map: a stand-in's description of the request, or a problem. */
    static Map<String, Object> json(HttpResponse<String> response) {
        @SuppressWarnings("unchecked")
        Map<String, Object> map = JSON.readValue(response.body(), Map.class);
        return map;
    }
}
