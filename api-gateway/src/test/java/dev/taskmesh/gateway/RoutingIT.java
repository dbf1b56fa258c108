package dev.taskmesh.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RoutingIT extends GatewayTestBase {

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource({
            "POST, /api/v1/auth/token,                                   worker-registry",
            "GET,  /api/v1/users,                                        worker-registry",
            "GET,  /api/v1/users/u-1?view=full,                          worker-registry",
            "GET,  /api/v1/workers,                                      worker-registry",
            "POST, /api/v1/workers/w-1/token,                            worker-registry",
            "POST, /api/v1/workers/w-1/drain,                            task-service",
            "DELETE, /api/v1/workers/w-1/drain,                          task-service",
            "GET,  /api/v1/workers/w-1/drain/more,                       worker-registry",
            "GET,  /api/v1/workers/w-1,                                  worker-registry",
            "GET,  /api/v1/tasks/estimate?type=command,                  task-service",
            "GET,  /api/v1/tasks?status=QUEUED&page=2&q=a%20b,           task-service",
            "POST, /api/v1/tasks,                                        task-service",
            "POST, /api/v1/tasks:batch?view=ids,                         task-service",
            "GET,  /api/v1/tasks/t-1/children?page=1,                    task-service",
            "GET,  /api/v1/tasks/t-1,                                    task-service",
            "POST, /api/v1/tasks/t-1/cancel,                             task-service",
            "GET,  /api/v1/tasks/t-1/result,                             result-service",
            "GET,  /api/v1/tasks/t-1/result/files/out%20put.txt?download, result-service",
            "GET,  /api/v1/tasks/t-1/result/archive,                     result-service",
            "PUT,  /api/v1/tasks/t-1/attempts/2/files/out.txt,           result-service",
            "PUT,  /api/v1/tasks/t-1/attempts/2/log,                     result-service"})
    void sendsEachPathToItsServiceWithPathQueryAndTokenIntact(String method, String pathAndQuery, String service) {
        String token = TOKENS.admin("u-1", "ada");

        HttpResponse<String> response = gateway.send(method, pathAndQuery, token,
                HttpRequest.BodyPublishers.ofString("{}"));

        assertThat(response.statusCode()).isEqualTo(200);
        Map<String, Object> seen = GatewayClient.json(response);
        assertThat(seen).containsEntry("service", service)
                .containsEntry("method", method)
                .containsEntry("uri", pathAndQuery)
                .containsEntry("authorization", "Bearer " + token);
    }

    @Test
    void neverRoutesInternalPaths() {
        String token = TOKENS.admin("u-1", "ada");

        HttpResponse<String> response = gateway.send("POST", "/internal/v1/heartbeats", token,
                HttpRequest.BodyPublishers.ofString("{\"heartbeats\":[]}"));

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(GatewayClient.json(response)).containsEntry("status", 404)
                .containsEntry("instance", "/internal/v1/heartbeats");
        assertThat(Upstreams.allSeenUris()).noneMatch(uri -> uri.contains("internal"));
    }

    @Test
    void refusesPathsThatClimbOutOfARouteIntoInternal() {
        String token = TOKENS.admin("u-1", "ada");

        for (String path : new String[] {"/api/v1/tasks/../../../internal/v1/heartbeats",
                "/api/v1/tasks/%2e%2e/%2e%2e/%2e%2e/internal/v1/heartbeats"}) {
            HttpResponse<String> response = gateway.send("POST", path, token,
                    HttpRequest.BodyPublishers.ofString("{}"));

            assertThat(response.statusCode()).as(path).isIn(400, 404);
        }
        assertThat(Upstreams.allSeenUris()).noneMatch(uri -> uri.contains("internal"));
    }

    @Test
    void answersUnroutedApiPathsWithProblemNotFound() {
        HttpResponse<String> response = gateway.get("/api/v1/nothing-here", TOKENS.user("u-1", "ada"));

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(GatewayClient.json(response)).containsEntry("title", "Not Found")
                .containsEntry("status", 404)
                .containsEntry("instance", "/api/v1/nothing-here")
                .containsKeys("type", "detail");
    }

    @Test
    void servesHealthAndMetricsWithoutAToken() {
        assertThat(gateway.get("/actuator/health", null).statusCode()).isEqualTo(200);
        assertThat(gateway.get("/actuator/info", null).statusCode()).isEqualTo(200);
        HttpResponse<String> metrics = gateway.get("/actuator/prometheus", null);
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("application=\"api-gateway\"");
    }
}
