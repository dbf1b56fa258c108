package dev.taskmesh.gateway;

import dev.taskmesh.testsupport.TestTokens;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerResponse;
import tools.jackson.databind.json.JsonMapper;

/**
 * A stand-in for the registry's token endpoints on loopback, answering like the real one: the password grant for
 * one admin ({@value #USERNAME} / {@value #PASSWORD}, id {@value #USER_ID}) with a test-signed access token and a
 * fresh refresh token, and refresh tokens that are used up on their first use. Anything else is 401 problem+json.
 */
final class FakeRegistry {

    static final String USERNAME = "ada";
    static final String PASSWORD = "a-long-password";
    static final String USER_ID = "7d3c1c4e-2a8e-4a36-9d35-3f0d8f2b6a11";

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final TestTokens tokens;
    private final Set<String> liveRefreshTokens = ConcurrentHashMap.newKeySet();
    private final AtomicInteger issued = new AtomicInteger();
    private final DisposableServer server;

    FakeRegistry(TestTokens tokens) {
        this.tokens = tokens;
        this.server = HttpServer.create()
                .host("127.0.0.1")
                .port(0)
                .route(routes -> routes
                        .post("/api/v1/auth/token", (request, response) -> request.receive().aggregate().asString()
                                .defaultIfEmpty("{}")
                                .flatMap(body -> Mono.from(passwordGrant(read(body), response))))
                        .post("/api/v1/auth/refresh", (request, response) -> request.receive().aggregate().asString()
                                .defaultIfEmpty("{}")
                                .flatMap(body -> Mono.from(refresh(read(body), response))))
                        .post("/api/v1/auth/revoke", (request, response) -> request.receive().aggregate().asString()
                                .defaultIfEmpty("{}")
                                .flatMap(body -> {
                                    liveRefreshTokens.remove(String.valueOf(read(body).get("refresh_token")));
                                    return Mono.from(response.status(204).send());
                                })))
                .bindNow();
    }

    String url() {
        return "http://127.0.0.1:" + server.port();
    }

    /** Whether {@code refreshToken} was issued and not used yet. */
    boolean isLive(String refreshToken) {
        return liveRefreshTokens.contains(refreshToken);
    }

    private Publisher<Void> passwordGrant(Map<String, Object> body, HttpServerResponse response) {
        if (!USERNAME.equals(body.get("username")) || !PASSWORD.equals(body.get("password"))) {
            return unauthorized(response, "Invalid username or password");
        }
        return tokenPair(response);
    }

    private Publisher<Void> refresh(Map<String, Object> body, HttpServerResponse response) {
        Object refreshToken = body.get("refresh_token");
        if (!(refreshToken instanceof String token) || !liveRefreshTokens.remove(token)) {
            return unauthorized(response, "Invalid, expired or already used refresh token");
        }
        return tokenPair(response);
    }

    private Publisher<Void> tokenPair(HttpServerResponse response) {
        String refreshToken = "refresh-" + issued.incrementAndGet();
        liveRefreshTokens.add(refreshToken);
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("access_token", tokens.admin(USER_ID, USERNAME));
        answer.put("refresh_token", refreshToken);
        answer.put("token_type", "Bearer");
        answer.put("expires_in", 900);
        return send(response.status(200).header("Content-Type", "application/json"), answer);
    }

    private static Publisher<Void> unauthorized(HttpServerResponse response, String detail) {
        return send(response.status(401).header("Content-Type", "application/problem+json"),
                Map.of("type", "about:blank", "title", "Unauthorized", "status", 401, "detail", detail));
    }

    private static Publisher<Void> send(HttpServerResponse response, Map<String, Object> body) {
        return response.sendString(Mono.just(JSON.writeValueAsString(body))).then();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> read(String body) {
        return JSON.readValue(body, Map.class);
    }
}
