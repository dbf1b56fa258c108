package dev.taskmesh.registry.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.SignedJWT;
import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.contract.auth.TokenRequest;
import dev.taskmesh.registry.OpaqueTokens;
import dev.taskmesh.registry.RegistryIntegrationTest;
import dev.taskmesh.testsupport.TestTokens;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import tools.jackson.databind.JsonNode;

class AuthIT extends RegistryIntegrationTest {

    @Autowired
    AccessTokens accessTokens;

    @Autowired
    JdbcTemplate jdbc;

    @Test
    void passwordGrantIssuesAnAccessTokenThatVerifiesAgainstTheJwks() throws Exception {
        JsonNode tokens = login("admin", ADMIN_PASSWORD);
        assertThat(tokens.get("token_type").asString()).isEqualTo("Bearer");
        assertThat(tokens.get("expires_in").asLong()).isEqualTo(900);
        assertThat(tokens.get("refresh_token").asString()).isNotBlank();

        Response jwksResponse = get(ApiPaths.AUTH_JWKS, null);
        assertThat(jwksResponse.status()).isEqualTo(200);
        JWKSet jwks = JWKSet.parse(jwksResponse.body());
        SignedJWT jwt = SignedJWT.parse(tokens.get("access_token").asString());
        RSAKey key = (RSAKey) jwks.getKeyByKeyId(jwt.getHeader().getKeyID());
        assertThat(key).as("the token's kid is published").isNotNull();
        assertThat(key.isPrivate()).isFalse();
        assertThat(jwksResponse.body()).doesNotContain("\"d\"", "\"p\"", "\"q\"");
        assertThat(jwt.getHeader().getAlgorithm().getName()).isEqualTo("RS256");
        assertThat(jwt.verify(new RSASSAVerifier(key))).isTrue();

        var claims = jwt.getJWTClaimsSet();
        String me = get(ApiPaths.USERS + "/me", tokens.get("access_token").asString()).json().get("id").asString();
        assertThat(claims.getIssuer()).isEqualTo("taskmesh");
        assertThat(claims.getSubject()).isEqualTo(me);
        assertThat(claims.getStringClaim("name")).isEqualTo("admin");
        assertThat(claims.getStringListClaim("roles")).containsExactlyInAnyOrder("ADMIN", "USER");
        assertThat(Duration.between(claims.getIssueTime().toInstant(), claims.getExpirationTime().toInstant()))
                .isEqualTo(Duration.ofMinutes(15));
    }

    @Test
    void signingKeyIsStoredOnceAndIsTheOnePublished() throws Exception {
        List<String> kids = jdbc.queryForList("SELECT kid FROM registry.signing_keys WHERE active", String.class);
        JWKSet jwks = JWKSet.parse(get(ApiPaths.AUTH_JWKS, null).body());
        assertThat(kids).hasSize(1);
        assertThat(jwks.getKeys()).extracting(k -> k.getKeyID()).containsExactly(kids.getFirst());
    }

    @Test
    void refreshRotatesTheTokenAndRefusesTheUsedOne() {
        JsonNode first = login("admin", ADMIN_PASSWORD);
        String used = first.get("refresh_token").asString();

        Response refreshed = post(ApiPaths.AUTH_REFRESH, null, Map.of("refresh_token", used));
        assertThat(refreshed.status()).as(refreshed.body()).isEqualTo(200);
        String next = refreshed.json().get("refresh_token").asString();
        assertThat(next).isNotEqualTo(used);
        assertThat(get(ApiPaths.USERS + "/me", refreshed.json().get("access_token").asString()).status())
                .isEqualTo(200);

        Response reused = post(ApiPaths.AUTH_REFRESH, null, Map.of("refresh_token", used));
        assertThat(reused.status()).isEqualTo(401);
        assertThat(reused.contentType()).startsWith("application/problem+json");

        assertThat(post(ApiPaths.AUTH_REFRESH, null, Map.of("refresh_token", next)).status()).isEqualTo(200);
    }

    @Test
    void revokedRefreshTokenCannotBeUsedAndRevokeTellsNothing() {
        String refresh = login("admin", ADMIN_PASSWORD).get("refresh_token").asString();

        assertThat(post(ApiPaths.AUTH_REVOKE, null, Map.of("refresh_token", refresh)).status()).isEqualTo(204);

        assertThat(post(ApiPaths.AUTH_REFRESH, null, Map.of("refresh_token", refresh)).status()).isEqualTo(401);
        // an unknown or already revoked token gets the same answer: the endpoint is no oracle for tokens
        assertThat(post(ApiPaths.AUTH_REVOKE, null, Map.of("refresh_token", refresh)).status()).isEqualTo(204);
        assertThat(post(ApiPaths.AUTH_REVOKE, null, Map.of()).status()).isEqualTo(400);
    }

    @Test
    void refreshTokensAreStoredOnlyAsHashes() {
        String refresh = login("admin", ADMIN_PASSWORD).get("refresh_token").asString();
        Integer byToken = jdbc.queryForObject("SELECT count(*) FROM registry.refresh_tokens WHERE token_hash = ?",
                Integer.class, refresh);
        Integer byHash = jdbc.queryForObject("SELECT count(*) FROM registry.refresh_tokens WHERE token_hash = ?",
                Integer.class, OpaqueTokens.sha256Hex(refresh));
        assertThat(byToken).isZero();
        assertThat(byHash).isEqualTo(1);
    }

    @Test
    void unknownOrExpiredRefreshTokenIsRefused() {
        assertThat(post(ApiPaths.AUTH_REFRESH, null, Map.of("refresh_token", "not-a-token")).status())
                .isEqualTo(401);
        String refresh = login("admin", ADMIN_PASSWORD).get("refresh_token").asString();
        jdbc.update("UPDATE registry.refresh_tokens SET expires_at = now() - interval '1 minute' WHERE token_hash = ?",
                OpaqueTokens.sha256Hex(refresh));
        assertThat(post(ApiPaths.AUTH_REFRESH, null, Map.of("refresh_token", refresh)).status()).isEqualTo(401);
    }

    @Test
    void wrongPasswordOrUnknownUserIsUnauthorizedProblem() {
        for (TokenRequest request : List.of(TokenRequest.password("admin", "wrong-password"),
                TokenRequest.password("nobody-" + UUID.randomUUID(), "whatever-password"))) {
            Response response = post(ApiPaths.AUTH_TOKEN, null, request);
            assertThat(response.status()).isEqualTo(401);
            assertThat(response.contentType()).startsWith("application/problem+json");
            assertThat(response.json().get("detail").asString()).isEqualTo("Invalid username or password");
            assertThat(response.body()).doesNotContain("access_token");
        }
    }

    @Test
    void missingCredentialsOrUnknownGrantAreBadRequests() {
        assertThat(post(ApiPaths.AUTH_TOKEN, null, Map.of("username", "admin")).status()).isEqualTo(400);
        assertThat(post(ApiPaths.AUTH_TOKEN, null, Map.of("grant_type", "worker", "worker_id", "x")).status())
                .isEqualTo(400);
        Response unknownGrant = post(ApiPaths.AUTH_TOKEN, null, Map.of("grant_type", "client_credentials"));
        assertThat(unknownGrant.status()).isEqualTo(400);
        assertThat(unknownGrant.contentType()).startsWith("application/problem+json");
        assertThat(post(ApiPaths.AUTH_REFRESH, null, Map.of()).status()).isEqualTo(400);
    }

    @Test
    void disabledUserCannotLogInAndLosesRefreshTokens() {
        String admin = adminToken();
        String username = unique("leaver");
        UUID id = createUser(admin, username, "leaver-password", List.of("USER"));
        String refresh = login(username, "leaver-password").get("refresh_token").asString();

        assertThat(patch(ApiPaths.USERS + "/" + id, admin, Map.of("enabled", false)).status()).isEqualTo(200);

        Response login = post(ApiPaths.AUTH_TOKEN, null, TokenRequest.password(username, "leaver-password"));
        assertThat(login.status()).isEqualTo(401);
        assertThat(login.json().get("detail").asString()).isEqualTo("Invalid username or password");
        assertThat(post(ApiPaths.AUTH_REFRESH, null, Map.of("refresh_token", refresh)).status()).isEqualTo(401);
    }

    @Test
    void forgedOrExpiredTokensAreRefused() {
        String me = ApiPaths.USERS + "/me";
        String forged = TestTokens.shared().forgedAdmin(UUID.randomUUID().toString(), "admin");
        String otherIssuer = TestTokens.shared().admin(UUID.randomUUID().toString(), "admin");
        UUID adminId = UUID.fromString(get(me, adminToken()).json().get("id").asString());
        // signed with the registry's own key, but expired an hour ago
        String expired = accessTokens.sign(adminId, "admin", List.of("ADMIN", "USER"),
                Instant.now().minus(Duration.ofMinutes(75)), Duration.ofMinutes(15));

        for (String token : List.of(forged, otherIssuer, expired, "not-a-jwt")) {
            Response response = get(me, token);
            assertThat(response.status()).as(token).isEqualTo(401);
            assertThat(response.contentType()).startsWith("application/problem+json");
        }
        assertThat(get(me, null).status()).isEqualTo(401);
    }
}
