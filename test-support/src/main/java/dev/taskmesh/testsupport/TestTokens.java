package dev.taskmesh.testsupport;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import dev.taskmesh.contract.auth.Claims;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * Access tokens for tests, signed like the registry signs them (RS256, issuer {@code taskmesh}) and verifiable
 * through a real JWKS endpoint on loopback, so services under test run their normal verification path.
 */
public final class TestTokens {

    private static final TestTokens SHARED = new TestTokens();

    private final RSAKey key = generate("test-key");
    private final RSAKey strangerKey = generate("test-key");
    private final HttpServer jwks;

    private TestTokens() {
        try {
            jwks = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] body = new JWKSet(key.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
        jwks.createContext("/jwks", exchange -> {
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        jwks.start();
    }

    /** The tokens of this JVM; one key pair and one JWKS server shared by all tests. */
    public static TestTokens shared() {
        return SHARED;
    }

    public String jwksUri() {
        return "http://127.0.0.1:" + jwks.getAddress().getPort() + "/jwks";
    }

    /** Points {@code taskmesh.security.jwks-uri} at this JWKS; call from a {@code @DynamicPropertySource} method. */
    public void registerJwks(DynamicPropertyRegistry registry) {
        registry.add("taskmesh.security.jwks-uri", this::jwksUri);
    }

    public String user(String id, String name) {
        return sign(key, id, name, List.of(Claims.ROLE_USER), Duration.ofMinutes(15));
    }

    public String admin(String id, String name) {
        return sign(key, id, name, List.of(Claims.ROLE_ADMIN, Claims.ROLE_USER), Duration.ofMinutes(15));
    }

    public String worker(String workerId) {
        return sign(key, workerId, "worker-" + workerId, List.of(Claims.ROLE_WORKER), Duration.ofHours(1));
    }

    /** A user token that expires after {@code ttl} (verifiers accept it until then plus their clock skew). */
    public String userExpiringIn(String id, String name, Duration ttl) {
        return sign(key, id, name, List.of(Claims.ROLE_USER), ttl);
    }

    /** A user token that expired ten minutes ago. */
    public String expiredUser(String id, String name) {
        return sign(key, id, name, List.of(Claims.ROLE_USER), Duration.ofMinutes(-10));
    }

    /** A well-formed token signed by a key the platform does not know. */
    public String forgedAdmin(String id, String name) {
        return sign(strangerKey, id, name, List.of(Claims.ROLE_ADMIN, Claims.ROLE_USER), Duration.ofMinutes(15));
    }

    private static String sign(RSAKey signingKey, String subject, String name, List<String> roles, Duration ttl) {
        Instant now = Instant.now();
        Instant issuedAt = ttl.isNegative() ? now.plus(ttl).minus(Duration.ofMinutes(15)) : now;
        var claims = new JWTClaimsSet.Builder()
                .issuer(Claims.ISSUER)
                .subject(subject)
                .claim(Claims.NAME, name)
                .claim(Claims.ROLES, roles)
                .issueTime(Date.from(issuedAt))
                .expirationTime(Date.from(now.plus(ttl)))
                .jwtID(UUID.randomUUID().toString())
                .build();
        var jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(signingKey.getKeyID()).build(), claims);
        try {
            jwt.sign(new RSASSASigner(signingKey));
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
        return jwt.serialize();
    }

    private static RSAKey generate(String kid) {
        try {
            return new RSAKeyGenerator(2048).keyID(kid).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }
}
