package dev.taskmesh.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskmesh.testsupport.TestTokens;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The gateway while the registry's JWKS cannot be fetched: tokens cannot be checked. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class UnreachableKeysIT {

    private static final TestTokens TOKENS = TestTokens.shared();
    private static final int DEAD_PORT = Upstreams.closedPort();

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void deadJwks(DynamicPropertyRegistry registry) {
        Upstreams.register(registry);
        registry.add("taskmesh.security.jwks-uri", () -> "http://127.0.0.1:" + DEAD_PORT + "/jwks");
    }

    @Test
    void answersServiceUnavailableWhenTheTokenKeysCannotBeFetched() {
        HttpResponse<String> response = new GatewayClient(port).get("/api/v1/tasks", TOKENS.user("u-1", "ada"));

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(GatewayClient.json(response))
                .containsEntry("status", 503)
                .containsEntry("detail", "worker-registry is not reachable to verify the token");
    }

    @Test
    void stillPassesRequestsThatNeedNoToken() {
        HttpResponse<String> response = new GatewayClient(port).send("POST", "/api/v1/auth/token", null,
                HttpRequest.BodyPublishers.ofString("{}"));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(GatewayClient.json(response)).containsEntry("service", "worker-registry");
    }
}
