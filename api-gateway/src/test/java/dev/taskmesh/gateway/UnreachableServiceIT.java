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

/** The gateway with a task-service and a registry that are down: nothing listens on their ports. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class UnreachableServiceIT {

    private static final TestTokens TOKENS = TestTokens.shared();
    private static final int DEAD_PORT = Upstreams.closedPort();

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void deadTaskService(DynamicPropertyRegistry registry) {
        Upstreams.register(registry);
        registry.add("taskmesh.gateway.task-service-url", () -> "http://127.0.0.1:" + DEAD_PORT);
        registry.add("taskmesh.gateway.registry-url", () -> "http://127.0.0.1:" + DEAD_PORT);
        TOKENS.registerJwks(registry);
    }

    @Test
    void answersServiceUnavailableAsProblemWhenTheTaskServiceIsDown() {
        HttpResponse<String> response = new GatewayClient(port).get("/api/v1/tasks?page=0", TOKENS.user("u-1", "ada"));

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(GatewayClient.json(response))
                .containsEntry("title", "Service Unavailable")
                .containsEntry("status", 503)
                .containsEntry("detail", "task-service is not reachable")
                .containsEntry("instance", "/api/v1/tasks");
    }

    @Test
    void stillRoutesToTheServicesThatAreUp() {
        HttpResponse<String> response = new GatewayClient(port).get("/api/v1/tasks/t-1/result",
                TOKENS.user("u-1", "ada"));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(GatewayClient.json(response)).containsEntry("service", "result-service");
    }

    @Test
    void answersServiceUnavailableToADashboardLoginWhenTheRegistryIsDown() {
        GatewayClient gateway = new GatewayClient(port);

        HttpResponse<String> response = gateway.send(gateway.request("/ui/session", null)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"username\":\"ada\",\"password\":\"secret-pw\"}"))
                .build());

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(GatewayClient.json(response))
                .containsEntry("status", 503)
                .containsEntry("detail", "worker-registry is not reachable")
                .containsEntry("instance", "/ui/session");
    }
}
