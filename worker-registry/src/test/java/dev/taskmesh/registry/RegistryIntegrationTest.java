package dev.taskmesh.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.contract.WireJson;
import dev.taskmesh.contract.auth.TokenRequest;
import dev.taskmesh.testsupport.TestPostgres;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * One registry on a random port over a real PostgreSQL, shared by every integration test class (they all inherit
 * this configuration, so Spring starts it once). Tests use unique names, so they never depend on each other's rows.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "taskmesh.registry.admin-password=" + RegistryIntegrationTest.ADMIN_PASSWORD,
        "taskmesh.security.internal-secret=" + RegistryIntegrationTest.INTERNAL_SECRET,
        "taskmesh.registry.offline-after=20s",
        "taskmesh.registry.heartbeat-interval=1s"})
public abstract class RegistryIntegrationTest {

    protected static final String ADMIN_PASSWORD = "correct-horse-battery";
    protected static final String INTERNAL_SECRET = "internal-secret-for-tests";

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    protected static final JsonMapper JSON = WireJson.mapper();

    @LocalServerPort
    protected int port;

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        TestPostgres.registerDataSource(registry);
    }

    /** An answer: status, headers and body, with the body parsed as JSON on demand. */
    protected record Response(int status, HttpHeaders headers, String body) {

        public JsonNode json() {
            return JSON.readTree(body);
        }

        public String contentType() {
            return headers.firstValue("Content-Type").orElse("");
        }
    }

    protected Response get(String path, @Nullable String token) {
        return send(request(path, token).GET());
    }

    protected Response delete(String path, @Nullable String token) {
        return send(request(path, token).DELETE());
    }

    /** POSTs {@code body} as JSON; a String is sent as it is, anything else is serialized. */
    protected Response post(String path, @Nullable String token, Object body) {
        return send(request(path, token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(asJson(body))));
    }

    protected Response patch(String path, @Nullable String token, Object body) {
        return send(request(path, token).header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString(asJson(body))));
    }

    protected Response internalPost(String path, @Nullable String secret, Object body) {
        HttpRequest.Builder request = request(path, null).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(asJson(body)));
        if (secret != null) {
            request.header(ApiPaths.INTERNAL_SECRET_HEADER, secret);
        }
        return send(request);
    }

    protected Response send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> response = HTTP.send(request.timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return new Response(response.statusCode(), response.headers(), response.body());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    protected HttpRequest.Builder request(String path, @Nullable String token) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return request;
    }

    /** Logs in with the password grant and answers the token JSON. */
    protected JsonNode login(String username, String password) {
        Response response = post(ApiPaths.AUTH_TOKEN, null, TokenRequest.password(username, password));
        assertThat(response.status()).as(response.body()).isEqualTo(200);
        return response.json();
    }

    protected String adminToken() {
        return login("admin", ADMIN_PASSWORD).get("access_token").asString();
    }

    /** Creates a user through the API and answers its id. */
    protected UUID createUser(String adminToken, String username, String password, List<String> roles) {
        Response created = post(ApiPaths.USERS, adminToken,
                Map.of("username", username, "password", password, "roles", roles));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        return UUID.fromString(created.json().get("id").asString());
    }

    /** A name no other test uses. */
    protected static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static String asJson(Object body) {
        return body instanceof String text ? text : JSON.writeValueAsString(body);
    }
}
