package dev.taskmesh.task;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.contract.WireJson;
import dev.taskmesh.testsupport.TestPostgres;
import dev.taskmesh.testsupport.TestTokens;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * A real task-service on a random port with its own PostgreSQL database, tokens verified against a real JWKS, and
 * the registry played by a loopback server that records the forwarded heartbeats ({@link RecordingRegistry}).
 * Subclasses without extra properties share one application context.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
abstract class IntegrationTestBase {

    protected static final TestTokens TOKENS = TestTokens.shared();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @LocalServerPort
    protected int port;

    @DynamicPropertySource
    static void infrastructure(DynamicPropertyRegistry registry) {
        TestPostgres.registerDataSource(registry);
        TOKENS.registerJwks(registry);
        registry.add("taskmesh.security.internal-secret", () -> "test-internal-secret");
        registry.add("taskmesh.dispatch.registry-url", RecordingRegistry::url);
        // these tests never restart the service; a lease that runs out counts at once
        registry.add("taskmesh.dispatch.restart-grace", () -> "0s");
        // one heartbeat summary per worker on /topic/workers, whatever the timing of a test's heartbeats
        registry.add("taskmesh.events.worker-summary-interval", () -> "1h");
    }

    /** A task type no other test uses, so that each test's agents see only its own tasks. */
    protected static String uniqueType() {
        return "t-" + UUID.randomUUID().toString().substring(0, 12);
    }

    protected static String userToken(String name) {
        return TOKENS.user("user-" + name, name);
    }

    protected Response post(String path, @Nullable String token, String body) {
        return send(request(path, token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    protected Response get(String path, @Nullable String token) {
        return send(request(path, token).GET());
    }

    /** Submits a task as the given user and answers its JSON; fails unless it was created. */
    protected JsonNode submit(String token, String body) {
        Response response = post(ApiPaths.TASKS, token, body);
        assertThat(response.status()).as(response.body()).isEqualTo(201);
        return response.json();
    }

    protected JsonNode task(String token, String id) {
        Response response = get(ApiPaths.TASKS + "/" + id, token);
        assertThat(response.status()).as(response.body()).isEqualTo(200);
        return response.json();
    }

    private HttpRequest.Builder request(String path, @Nullable String token) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(20));
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        return builder;
    }

    private static Response send(HttpRequest.Builder request) {
        try {
            return new Response(HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** An HTTP answer. */
    protected record Response(HttpResponse<String> raw) {

        int status() {
            return raw.statusCode();
        }

        String body() {
            return raw.body();
        }

        JsonNode json() {
            return WireJson.mapper().readTree(raw.body());
        }

        @Nullable String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }
    }
}
