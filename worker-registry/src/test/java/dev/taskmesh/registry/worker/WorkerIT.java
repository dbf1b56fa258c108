package dev.taskmesh.registry.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jwt.SignedJWT;
import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.contract.auth.TokenRequest;
import dev.taskmesh.registry.OpaqueTokens;
import dev.taskmesh.registry.RegistryIntegrationTest;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import tools.jackson.databind.JsonNode;

class WorkerIT extends RegistryIntegrationTest {

    @Autowired
    JdbcTemplate jdbc;

    @Test
    void createdWorkerShowsItsTokenOnceAndTheDatabaseHoldsOnlyTheHash() {
        String admin = adminToken();
        String name = unique("gpu-node");
        Response created = post(ApiPaths.WORKERS, admin, Map.of("name", name, "labels", List.of("gpu", "region=eu")));

        assertThat(created.status()).as(created.body()).isEqualTo(201);
        JsonNode body = created.json();
        String id = body.get("id").asString();
        String token = body.get("token").asString();
        assertThat(created.headers().firstValue("Location")).hasValue(ApiPaths.WORKERS + "/" + id);
        assertThat(body.get("name").asString()).isEqualTo(name);
        assertThat(body.get("labels").valueStream().map(JsonNode::asString)).containsExactly("gpu", "region=eu");
        assertThat(body.get("createdAt").asString()).isNotBlank();
        assertThat(token).startsWith("tmw_").hasSize(4 + 43);

        Response one = get(ApiPaths.WORKERS + "/" + id, admin);
        assertThat(one.status()).isEqualTo(200);
        assertThat(one.json().has("token")).isFalse();
        assertThat(one.body()).doesNotContain(token);
        assertThat(get(ApiPaths.WORKERS, admin).body()).doesNotContain(token);

        String stored = jdbc.queryForObject("SELECT token_hash FROM registry.workers WHERE id = ?", String.class,
                UUID.fromString(id));
        assertThat(stored).isEqualTo(OpaqueTokens.sha256Hex(token)).doesNotContain(token.substring(4));
    }

    @Test
    void workerGrantIssuesAWorkerTokenThatUserEndpointsRefuse() throws Exception {
        Registered worker = register(unique("cpu-node"));

        Response granted = post(ApiPaths.AUTH_TOKEN, null, TokenRequest.worker(worker.id(), worker.token()));

        assertThat(granted.status()).as(granted.body()).isEqualTo(200);
        JsonNode body = granted.json();
        assertThat(body.get("refresh_token").isNull()).isTrue();
        assertThat(body.get("expires_in").asLong()).isEqualTo(3600);
        String jwt = body.get("access_token").asString();
        var claims = SignedJWT.parse(jwt).getJWTClaimsSet();
        assertThat(claims.getSubject()).isEqualTo(worker.id());
        assertThat(claims.getStringClaim("name")).isEqualTo(worker.name());
        assertThat(claims.getStringListClaim("roles")).containsExactly("WORKER");

        for (String path : List.of(ApiPaths.USERS, ApiPaths.USERS + "/me", ApiPaths.WORKERS,
                ApiPaths.WORKERS + "/" + worker.id())) {
            Response refused = get(path, jwt);
            assertThat(refused.status()).as(path).isEqualTo(403);
            assertThat(refused.contentType()).startsWith("application/problem+json");
        }
        assertThat(post(ApiPaths.WORKERS, jwt, Map.of("name", unique("sneaky"))).status()).isEqualTo(403);
    }

    @Test
    void wrongWorkerTokenIsRefused() {
        Registered worker = register(unique("node"));
        Response wrong = post(ApiPaths.AUTH_TOKEN, null, TokenRequest.worker(worker.id(), "tmw_wrong"));
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(wrong.contentType()).startsWith("application/problem+json");
        assertThat(post(ApiPaths.AUTH_TOKEN, null, TokenRequest.worker("not-a-uuid", worker.token())).status())
                .isEqualTo(401);
    }

    @Test
    void deletedWorkerDisappearsAndItsTokenStopsWorking() {
        String admin = adminToken();
        Registered worker = register(unique("retired"));

        assertThat(delete(ApiPaths.WORKERS + "/" + worker.id(), admin).status()).isEqualTo(204);

        assertThat(post(ApiPaths.AUTH_TOKEN, null, TokenRequest.worker(worker.id(), worker.token())).status())
                .isEqualTo(401);
        assertThat(get(ApiPaths.WORKERS + "/" + worker.id(), admin).status()).isEqualTo(404);
        assertThat(get(ApiPaths.WORKERS, admin).json().valueStream().map(w -> w.get("id").asString()))
                .doesNotContain(worker.id());
        assertThat(delete(ApiPaths.WORKERS + "/" + worker.id(), admin).status()).isEqualTo(404);
        // the name is free again
        assertThat(post(ApiPaths.WORKERS, admin, Map.of("name", worker.name())).status()).isEqualTo(201);
    }

    @Test
    void rotatedTokenWorksAndTheOldOneDoesNot() {
        String admin = adminToken();
        Registered worker = register(unique("rotating"));

        Response rotated = post(ApiPaths.WORKERS + "/" + worker.id() + "/token", admin, "");
        assertThat(rotated.status()).as(rotated.body()).isEqualTo(200);
        String newToken = rotated.json().get("token").asString();
        assertThat(newToken).startsWith("tmw_").isNotEqualTo(worker.token());
        assertThat(rotated.json().get("id").asString()).isEqualTo(worker.id());

        assertThat(post(ApiPaths.AUTH_TOKEN, null, TokenRequest.worker(worker.id(), newToken)).status())
                .isEqualTo(200);
        assertThat(post(ApiPaths.AUTH_TOKEN, null, TokenRequest.worker(worker.id(), worker.token())).status())
                .isEqualTo(401);
    }

    @Test
    void duplicateNameIsAConflictAndInvalidNameABadRequest() {
        String admin = adminToken();
        Registered worker = register(unique("twin"));

        assertThat(post(ApiPaths.WORKERS, admin, Map.of("name", worker.name())).status()).isEqualTo(409);
        Response invalid = post(ApiPaths.WORKERS, admin, Map.of("name", "has space", "labels", List.of("")));
        assertThat(invalid.status()).isEqualTo(400);
        assertThat(invalid.json().get("errors").valueStream().map(e -> e.get("field").asString()))
                .contains("name");
    }

    @Test
    void usersSeeWorkersButOnlyAdminsManageThem() {
        String admin = adminToken();
        String username = unique("viewer");
        createUser(admin, username, "viewer-password", List.of("USER"));
        String user = login(username, "viewer-password").get("access_token").asString();
        Registered worker = register(unique("visible"));

        assertThat(get(ApiPaths.WORKERS, user).status()).isEqualTo(200);
        assertThat(get(ApiPaths.WORKERS + "/" + worker.id(), user).status()).isEqualTo(200);
        assertThat(post(ApiPaths.WORKERS, user, Map.of("name", unique("mine"))).status()).isEqualTo(403);
        assertThat(delete(ApiPaths.WORKERS + "/" + worker.id(), user).status()).isEqualTo(403);
        assertThat(post(ApiPaths.WORKERS + "/" + worker.id() + "/token", user, "").status()).isEqualTo(403);
        assertThat(get(ApiPaths.WORKERS, null).status()).isEqualTo(401);
        assertThat(get(ApiPaths.WORKERS + "/" + UUID.randomUUID(), user).status()).isEqualTo(404);
    }

    private Registered register(String name) {
        Response created = post(ApiPaths.WORKERS, adminToken(), Map.of("name", name, "labels", List.of()));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        return new Registered(created.json().get("id").asString(), name, created.json().get("token").asString());
    }

    private record Registered(String id, String name, String token) {
    }
}
