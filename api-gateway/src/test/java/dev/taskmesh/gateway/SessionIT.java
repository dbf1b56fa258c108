package dev.taskmesh.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskmesh.testsupport.TestTokens;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpCookie;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The dashboard's login session against a stand-in registry that issues and rotates tokens like the real one. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class SessionIT {

    private static final TestTokens TOKENS = TestTokens.shared();
    private static final FakeRegistry REGISTRY = new FakeRegistry(TOKENS);

    @LocalServerPort
    int port;

    private GatewayClient gateway;

    @DynamicPropertySource
    static void registry(DynamicPropertyRegistry registry) {
        Upstreams.register(registry);
        registry.add("taskmesh.gateway.registry-url", REGISTRY::url);
        TOKENS.registerJwks(registry);
    }

    @BeforeEach
    void client() {
        gateway = new GatewayClient(port);
    }

    @Test
    void loginReturnsTheAccessTokenAndKeepsTheRefreshTokenInAStrictHttpOnlyCookie() {
        HttpResponse<String> response = login(FakeRegistry.PASSWORD);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Cache-Control")).hasValue("no-store");
        Map<String, Object> body = GatewayClient.json(response);
        assertThat(body).containsEntry("expires_in", 900).doesNotContainKey("refresh_token");
        assertThat(body.get("user")).isEqualTo(Map.of("id", FakeRegistry.USER_ID, "username", "ada",
                "roles", List.of("ADMIN", "USER")));
        // The token works on the API like any other bearer token.
        String accessToken = (String) body.get("access_token");
        assertThat(gateway.get("/api/v1/tasks", accessToken).statusCode()).isEqualTo(200);

        String setCookie = setCookie(response);
        assertThat(setCookie).contains("HttpOnly", "SameSite=Strict", "Path=/ui/session", "Max-Age=2592000")
                .doesNotContain("Secure");
        HttpCookie cookie = HttpCookie.parse(setCookie).getFirst();
        assertThat(cookie.getName()).isEqualTo("taskmesh_refresh");
        assertThat(REGISTRY.isLive(cookie.getValue())).isTrue();
    }

    @Test
    void refusesAWrongPasswordAsProblemWithoutACookie() {
        HttpResponse<String> response = login("wrong-password");

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(GatewayClient.json(response))
                .containsEntry("status", 401)
                .containsEntry("detail", "Invalid username or password")
                .containsEntry("instance", "/ui/session");
        assertThat(response.headers().allValues("Set-Cookie")).noneMatch(c -> c.contains("refresh-"));
    }

    @Test
    void refusesALoginWithoutAPassword() {
        HttpResponse<String> response = gateway.send(json("/ui/session", "{\"username\":\"ada\"}").build());

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(GatewayClient.json(response)).containsEntry("detail", "username and password are required");
    }

    @Test
    void refreshesWithTheCookieIntoANewAccessTokenAndARotatedCookie() {
        String firstRefreshToken = refreshTokenOf(login(FakeRegistry.PASSWORD));

        HttpResponse<String> response = refresh(firstRefreshToken, "taskmesh");

        assertThat(response.statusCode()).isEqualTo(200);
        Map<String, Object> body = GatewayClient.json(response);
        assertThat((String) body.get("access_token")).isNotBlank();
        assertThat(body.get("user")).asInstanceOf(InstanceOfAssertFactories.MAP)
                .containsEntry("username", "ada");
        String rotated = refreshTokenOf(response);
        assertThat(rotated).isNotEqualTo(firstRefreshToken);
        assertThat(REGISTRY.isLive(rotated)).isTrue();
        assertThat(REGISTRY.isLive(firstRefreshToken)).isFalse();
        assertThat(setCookie(response)).contains("HttpOnly", "SameSite=Strict", "Path=/ui/session");
    }

    @Test
    void refusesARefreshWithoutTheCsrfHeader() {
        String refreshToken = refreshTokenOf(login(FakeRegistry.PASSWORD));

        HttpResponse<String> missing = refresh(refreshToken, null);
        HttpResponse<String> wrong = refresh(refreshToken, "XMLHttpRequest");

        assertThat(missing.statusCode()).isEqualTo(403);
        assertThat(missing.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(wrong.statusCode()).isEqualTo(403);
        // The refresh token was not spent.
        assertThat(REGISTRY.isLive(refreshToken)).isTrue();
    }

    @Test
    void refusesARefreshWithoutACookieAndClearsIt() {
        HttpResponse<String> response = refresh(null, "taskmesh");

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(GatewayClient.json(response)).containsEntry("status", 401).containsEntry("detail",
                "No session; log in");
        assertThat(setCookie(response)).startsWith("taskmesh_refresh=;").contains("Max-Age=0");
    }

    @Test
    void refusesAUsedRefreshTokenAndClearsTheCookie() {
        String refreshToken = refreshTokenOf(login(FakeRegistry.PASSWORD));
        assertThat(refresh(refreshToken, "taskmesh").statusCode()).isEqualTo(200);

        HttpResponse<String> replay = refresh(refreshToken, "taskmesh");

        assertThat(replay.statusCode()).isEqualTo(401);
        assertThat(GatewayClient.json(replay)).containsEntry("detail", "Your session has ended; log in again");
        assertThat(setCookie(replay)).startsWith("taskmesh_refresh=;").contains("Max-Age=0");
    }

    @Test
    void logoutRevokesTheRefreshTokenAndClearsTheCookie() {
        String refreshToken = refreshTokenOf(login(FakeRegistry.PASSWORD));
        assertThat(REGISTRY.isLive(refreshToken)).isTrue();

        HttpResponse<String> response = gateway.send(gateway.request("/ui/session", null)
                .header("Cookie", "taskmesh_refresh=" + refreshToken)
                .DELETE().build());

        assertThat(response.statusCode()).isEqualTo(204);
        assertThat(setCookie(response)).startsWith("taskmesh_refresh=;")
                .contains("Max-Age=0", "Path=/ui/session", "HttpOnly", "SameSite=Strict");
        assertThat(REGISTRY.isLive(refreshToken)).isFalse();
    }

    /**
     * The login on a kept-alive connection after a request that arrived while the one before it was still being
     * answered, and was itself answered at once (reactor/reactor-netty#4361). Reactor Netty 1.3.6 then stopped
     * reading the connection and the login hung for good; browsers hit it in the dashboard. Here the session refresh
     * (answered 401 at once: no cookie) is sent in the same write as the stylesheet, so it always arrives early.
     * Against 1.3.6 this failed in each of three runs, in a round between the 3rd and the 8th. Every response must
     * come, and none may close the connection.
     */
    @Test
    void answersALoginOnAKeptAliveConnectionAfterAQueuedRequest() throws IOException {
        String login = "{\"username\":\"ada\",\"password\":\"" + FakeRegistry.PASSWORD + "\"}";
        List<List<String>> writes = List.of(
                List.of(raw("GET", "/", null, "")),
                List.of(raw("GET", "/assets/app.css", null, ""),
                        raw("POST", "/ui/session/refresh", null, "X-Requested-With: taskmesh\r\n")),
                List.of(raw("POST", "/ui/session", login, "Content-Type: application/json\r\n")),
                List.of(raw("GET", "/actuator/health", null, "")));
        for (int round = 0; round < 20; round++) {
            try (Socket socket = new Socket("127.0.0.1", port)) {
                socket.setSoTimeout(5000);
                InputStream in = new BufferedInputStream(socket.getInputStream());
                List<Integer> statuses = new ArrayList<>();
                for (List<String> requests : writes) {
                    socket.getOutputStream().write(String.join("", requests).getBytes(StandardCharsets.UTF_8));
                    socket.getOutputStream().flush();
                    for (String request : requests) {
                        try {
                            statuses.add(readResponse(in));
                        } catch (SocketTimeoutException e) {
                            throw new AssertionError("round " + round + ": no answer in 5 s to "
                                    + request.lines().findFirst().orElseThrow() + " after " + statuses, e);
                        }
                    }
                }
                assertThat(statuses).as("round %d", round).containsExactly(200, 200, 401, 200, 200);
            }
        }
    }

    private static String raw(String method, String path, @Nullable String body, String headers) {
        byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        return method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + content.length + "\r\n"
                + headers + "\r\n" + (body == null ? "" : body);
    }

    /** Reads one whole response (a timeout fails the test) and returns its status; it must keep the connection. */
    private static int readResponse(InputStream in) throws IOException {
        String head = readUntil(in, "\r\n\r\n");
        List<String> lines = List.of(head.split("\r\n"));
        int contentLength = -1;
        boolean chunked = false;
        for (String line : lines.subList(1, lines.size())) {
            String[] header = line.split(":", 2);
            String name = header[0].trim().toLowerCase(Locale.ROOT);
            String value = header[1].trim();
            assertThat(name + ": " + value.toLowerCase(Locale.ROOT)).isNotEqualTo("connection: close");
            if (name.equals("content-length")) {
                contentLength = Integer.parseInt(value);
            } else if (name.equals("transfer-encoding")) {
                chunked = value.equalsIgnoreCase("chunked");
            }
        }
        if (chunked) {
            int size;
            do {
                size = Integer.parseInt(readUntil(in, "\r\n").split(";")[0].trim(), 16);
                in.readNBytes(size + 2);
            } while (size > 0);
        } else if (contentLength > 0) {
            assertThat(in.readNBytes(contentLength)).hasSize(contentLength);
        }
        return Integer.parseInt(lines.getFirst().split(" ")[1]);
    }

    private static String readUntil(InputStream in, String end) throws IOException {
        ByteArrayOutputStream read = new ByteArrayOutputStream();
        while (!read.toString(StandardCharsets.ISO_8859_1).endsWith(end)) {
            int b = in.read();
            assertThat(b).as("the connection was closed").isNotNegative();
            read.write(b);
        }
        String text = read.toString(StandardCharsets.ISO_8859_1);
        return text.substring(0, text.length() - end.length());
    }

    private HttpResponse<String> login(String password) {
        return gateway.send(json("/ui/session",
                "{\"username\":\"ada\",\"password\":\"" + password + "\"}").build());
    }

    private HttpResponse<String> refresh(@Nullable String refreshToken, @Nullable String requestedWith) {
        HttpRequest.Builder request = gateway.request("/ui/session/refresh", null)
                .POST(HttpRequest.BodyPublishers.noBody());
        if (refreshToken != null) {
            request.header("Cookie", "taskmesh_refresh=" + refreshToken);
        }
        if (requestedWith != null) {
            request.header("X-Requested-With", requestedWith);
        }
        return gateway.send(request.build());
    }

    private HttpRequest.Builder json(String path, String body) {
        return gateway.request(path, null)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
    }

    private static String refreshTokenOf(HttpResponse<String> response) {
        assertThat(response.statusCode()).isEqualTo(200);
        return HttpCookie.parse(setCookie(response)).getFirst().getValue();
    }

    private static String setCookie(HttpResponse<String> response) {
        List<String> cookies = response.headers().allValues("Set-Cookie").stream()
                .filter(c -> c.startsWith("taskmesh_refresh=")).toList();
        assertThat(cookies).hasSize(1);
        return cookies.getFirst();
    }
}
