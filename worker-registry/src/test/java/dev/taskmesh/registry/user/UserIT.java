package dev.taskmesh.registry.user;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.contract.auth.TokenRequest;
import dev.taskmesh.registry.RegistryIntegrationTest;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class UserIT extends RegistryIntegrationTest {

    @Test
    void adminIsCreatedFromThePropertyWithBothRoles() {
        JsonNode me = get(ApiPaths.USERS + "/me", adminToken()).json();
        assertThat(me.get("username").asString()).isEqualTo("admin");
        assertThat(me.get("roles").valueStream().map(JsonNode::asString)).containsExactly("ADMIN", "USER");
        assertThat(me.get("enabled").asBoolean()).isTrue();
        assertThat(me.has("passwordHash")).isFalse();
    }

    @Test
    void adminCreatesAUserWhoCanLogIn() {
        String username = unique("alice");
        Response created = post(ApiPaths.USERS, adminToken(),
                Map.of("username", username, "password", "alice-password", "roles", List.of("USER")));

        assertThat(created.status()).isEqualTo(201);
        JsonNode body = created.json();
        String id = body.get("id").asString();
        assertThat(created.headers().firstValue("Location")).hasValue(ApiPaths.USERS + "/" + id);
        assertThat(body.get("username").asString()).isEqualTo(username);
        assertThat(body.get("roles").valueStream().map(JsonNode::asString)).containsExactly("USER");
        assertThat(body.get("enabled").asBoolean()).isTrue();
        assertThat(body.get("createdAt").asString()).isNotBlank();
        assertThat(created.body()).doesNotContain("alice-password");

        Response located = get(created.headers().firstValue("Location").orElseThrow(), adminToken());
        assertThat(located.status()).isEqualTo(200);
        assertThat(located.json().get("username").asString()).isEqualTo(username);

        String token = login(username, "alice-password").get("access_token").asString();
        JsonNode me = get(ApiPaths.USERS + "/me", token).json();
        assertThat(me.get("id").asString()).isEqualTo(id);
        assertThat(get(ApiPaths.USERS + "/" + id, token).status()).isEqualTo(403);
    }

    @Test
    void duplicateUsernameIsAConflict() {
        String admin = adminToken();
        String username = unique("bob");
        createUser(admin, username, "bob-password", List.of("USER"));

        Response again = post(ApiPaths.USERS, admin,
                Map.of("username", username, "password", "other-password", "roles", List.of("USER")));
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.contentType()).startsWith("application/problem+json");
    }

    @Test
    void invalidBodyIsABadRequestNamingTheFields() {
        Response response = post(ApiPaths.USERS, adminToken(),
                Map.of("username", "x y", "password", "short", "roles", List.of("USER")));

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.contentType()).startsWith("application/problem+json");
        assertThat(response.json().get("errors").valueStream().map(e -> e.get("field").asString()))
                .contains("username", "password");

        Response unknownRole = post(ApiPaths.USERS, adminToken(),
                Map.of("username", unique("carol"), "password", "carol-password", "roles", List.of("WORKER")));
        assertThat(unknownRole.status()).isEqualTo(400);
    }

    @Test
    void onlyAdminsManageUsers() {
        String admin = adminToken();
        String username = unique("dave");
        createUser(admin, username, "dave-password", List.of("USER"));
        String user = login(username, "dave-password").get("access_token").asString();
        var body = Map.of("username", unique("eve"), "password", "eve-password", "roles", List.of("ADMIN"));

        Response denied = post(ApiPaths.USERS, user, body);
        assertThat(denied.status()).isEqualTo(403);
        assertThat(denied.contentType()).startsWith("application/problem+json");
        assertThat(get(ApiPaths.USERS, user).status()).isEqualTo(403);
        assertThat(patch(ApiPaths.USERS + "/" + UUID.randomUUID(), user, Map.of("enabled", false)).status())
                .isEqualTo(403);
        assertThat(get(ApiPaths.USERS + "/me", user).status()).isEqualTo(200);

        Response anonymous = post(ApiPaths.USERS, null, body);
        assertThat(anonymous.status()).isEqualTo(401);
        assertThat(anonymous.contentType()).startsWith("application/problem+json");
    }

    @Test
    void adminListsUsers() {
        String admin = adminToken();
        String username = unique("frank");
        createUser(admin, username, "frank-password", List.of("USER"));

        Response list = get(ApiPaths.USERS, admin);
        assertThat(list.status()).isEqualTo(200);
        assertThat(list.json().valueStream().map(u -> u.get("username").asString())).contains("admin", username);
        assertThat(list.body()).doesNotContain("$2a$");
    }

    @Test
    void adminChangesRolesAndPassword() {
        String admin = adminToken();
        String username = unique("grace");
        UUID id = createUser(admin, username, "grace-password", List.of("USER"));

        Response changed = patch(ApiPaths.USERS + "/" + id, admin,
                Map.of("roles", List.of("ADMIN", "USER"), "password", "grace-new-password"));

        assertThat(changed.status()).as(changed.body()).isEqualTo(200);
        assertThat(changed.json().get("roles").valueStream().map(JsonNode::asString))
                .containsExactly("ADMIN", "USER");
        assertThat(post(ApiPaths.AUTH_TOKEN, null, TokenRequest.password(username, "grace-password")).status())
                .isEqualTo(401);
        String token = login(username, "grace-new-password").get("access_token").asString();
        assertThat(get(ApiPaths.USERS, token).status()).isEqualTo(200);
        assertThat(patch(ApiPaths.USERS + "/" + UUID.randomUUID(), admin, Map.of("enabled", true)).status())
                .isEqualTo(404);
    }

    @Test
    void adminCannotLockThemselvesOut() {
        String admin = adminToken();
        UUID self = UUID.fromString(get(ApiPaths.USERS + "/me", admin).json().get("id").asString());

        assertThat(patch(ApiPaths.USERS + "/" + self, admin, Map.of("enabled", false)).status()).isEqualTo(409);
        assertThat(patch(ApiPaths.USERS + "/" + self, admin, Map.of("roles", List.of("USER"))).status())
                .isEqualTo(409);
        assertThat(get(ApiPaths.USERS + "/me", admin).json().get("roles").valueStream().map(JsonNode::asString))
                .contains("ADMIN");
    }
}
