package dev.taskmesh.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskmesh.contract.ApiPaths;
import org.junit.jupiter.api.Test;

class RegistryHttpIT extends RegistryIntegrationTest {

    @Test
    void jsonBodyOverOneMebibyteIsTooLarge() {
        String huge = "{\"username\": \"admin\", \"password\": \"" + "x".repeat(1024 * 1024 + 1) + "\"}";

        Response response = post(ApiPaths.AUTH_TOKEN, null, huge);

        assertThat(response.status()).isEqualTo(413);
        assertThat(response.contentType()).startsWith("application/problem+json");
    }

    @Test
    void malformedJsonIsABadRequest() {
        Response login = post(ApiPaths.AUTH_TOKEN, null, "{\"username\": ");
        assertThat(login.status()).isEqualTo(400);
        assertThat(login.contentType()).startsWith("application/problem+json");

        Response create = post(ApiPaths.USERS, adminToken(), "{not json");
        assertThat(create.status()).isEqualTo(400);
        assertThat(create.json().get("detail").asString()).startsWith("Malformed JSON");
    }

    @Test
    void openApiDocumentDescribesTheApi() {
        Response docs = get("/v3/api-docs", null);

        assertThat(docs.status()).as(docs.body()).isEqualTo(200);
        assertThat(docs.json().get("paths").propertyNames())
                .contains(ApiPaths.AUTH_TOKEN, ApiPaths.USERS, ApiPaths.WORKERS, ApiPaths.WORKERS + "/{id}");
    }

    @Test
    void healthIsPublic() {
        Response health = get("/actuator/health", null);
        assertThat(health.status()).isEqualTo(200);
        assertThat(health.json().get("status").asString()).isEqualTo("UP");
    }
}
