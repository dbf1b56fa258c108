package dev.taskmesh.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

class SecurityIT extends GatewayTestBase {

    @Test
    void refusesATaskListWithoutATokenAsProblem() {
        HttpResponse<String> response = gateway.get("/api/v1/tasks", null);

        assertUnauthorized(response, "/api/v1/tasks");
    }

    @Test
    void refusesAnExpiredToken() {
        HttpResponse<String> response = gateway.get("/api/v1/tasks", TOKENS.expiredUser("u-1", "ada"));

        assertUnauthorized(response, "/api/v1/tasks");
    }

    @Test
    void refusesATokenSignedByAnUnknownKey() {
        HttpResponse<String> response = gateway.get("/api/v1/users", TOKENS.forgedAdmin("u-1", "ada"));

        assertUnauthorized(response, "/api/v1/users");
    }

    @Test
    void refusesAMalformedToken() {
        HttpResponse<String> response = gateway.get("/api/v1/tasks/t-1/result", "not-a-jwt");

        assertUnauthorized(response, "/api/v1/tasks/t-1/result");
    }

    @Test
    void passesAValidUserToken() {
        HttpResponse<String> response = gateway.get("/api/v1/tasks", TOKENS.user("u-1", "ada"));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(GatewayClient.json(response)).containsEntry("service", "task-service");
    }

    @Test
    void passesAWorkerTokenOnUploads() {
        String token = TOKENS.worker("w-1");

        HttpResponse<String> response = gateway.send("PUT", "/api/v1/tasks/t-1/attempts/1/log", token,
                HttpRequest.BodyPublishers.ofString("hello"));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(GatewayClient.json(response)).containsEntry("service", "result-service")
                .containsEntry("authorization", "Bearer " + token);
    }

    @Test
    void letsAnyoneAskForAToken() {
        HttpResponse<String> response = gateway.send("POST", "/api/v1/auth/token", null,
                HttpRequest.BodyPublishers.ofString("{\"username\":\"ada\",\"password\":\"secret\"}"));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(GatewayClient.json(response)).containsEntry("service", "worker-registry")
                .containsEntry("bodyLength", 38);
    }

    @Test
    void leavesAStaleTokenOnAuthPathsForTheRegistryToJudge() {
        String expired = TOKENS.expiredUser("u-1", "ada");

        HttpResponse<String> response = gateway.send("POST", "/api/v1/auth/refresh", expired,
                HttpRequest.BodyPublishers.ofString("{\"refresh_token\":\"r\"}"));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(GatewayClient.json(response)).containsEntry("service", "worker-registry")
                .containsEntry("authorization", "Bearer " + expired);
    }

    @Test
    void refusesUnknownPathsWithoutAToken() {
        HttpResponse<String> response = gateway.get("/anything", null);

        assertUnauthorized(response, "/anything");
    }

    private static void assertUnauthorized(HttpResponse<String> response, String path) {
        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
        assertThat(GatewayClient.json(response))
                .containsEntry("type", "about:blank")
                .containsEntry("title", "Unauthorized")
                .containsEntry("status", 401)
                .containsEntry("detail", "Missing, expired or invalid bearer token")
                .containsEntry("instance", path);
    }
}
