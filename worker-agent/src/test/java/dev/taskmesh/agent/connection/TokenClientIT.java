package dev.taskmesh.agent.connection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskmesh.contract.WireJson;
import java.io.IOException;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class TokenClientIT {

    private final StubHttpServer server = stub();
    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-11-21T10:00:00Z"));
    private final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now.get();
        }
    };
    private final TokenClient tokens = new TokenClient(HttpClient.newHttpClient(), server.address(), "worker-1",
            "tmw_secret", clock);

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void exchangesTheWorkerTokenAndReusesTheJwtUntilFourFifthsOfItsLifetime() throws Exception {
        server.answer(200, token("jwt-1"));
        server.answer(200, token("jwt-2"));

        assertThat(tokens.current()).isEqualTo("jwt-1");
        now.set(now.get().plus(Duration.ofMinutes(47)));
        assertThat(tokens.current()).isEqualTo("jwt-1");
        now.set(now.get().plus(Duration.ofMinutes(1)));
        assertThat(tokens.current()).isEqualTo("jwt-2");

        assertThat(server.requests).hasSize(2);
        StubHttpServer.Request request = server.requests.getFirst();
        assertThat(request.method()).isEqualTo("POST");
        assertThat(request.rawPath()).isEqualTo("/api/v1/auth/token");
        assertThat(request.contentType()).isEqualTo("application/json");
        JsonNode body = WireJson.mapper().readTree(request.text());
        assertThat(body.get("grant_type").asString()).isEqualTo("worker");
        assertThat(body.get("worker_id").asString()).isEqualTo("worker-1");
        assertThat(body.get("worker_token").asString()).isEqualTo("tmw_secret");
    }

    @Test
    void aRejectedWorkerIsFatalAndOtherErrorsAreWorthRetrying() {
        server.answer(401, "{\"title\":\"Unauthorized\"}");
        server.answer(503, "");

        assertThatThrownBy(tokens::refresh).isInstanceOf(WorkerRejectedException.class)
                .hasMessageContaining("worker id or token rejected").hasMessageNotContaining("tmw_secret");
        assertThatThrownBy(tokens::refresh).isInstanceOf(IOException.class).hasMessageContaining("503");
        assertThat(tokens.toString()).doesNotContain("tmw_secret");
    }

    private static String token(String jwt) {
        return "{\"access_token\":\"" + jwt + "\",\"refresh_token\":null,\"token_type\":\"Bearer\",\"expires_in\":3600}";
    }

    private static StubHttpServer stub() {
        try {
            return new StubHttpServer();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
