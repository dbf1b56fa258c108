package dev.taskmesh.gateway.session;

import dev.taskmesh.contract.auth.Claims;
import dev.taskmesh.contract.auth.TokenResponse;
import java.net.ConnectException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseCookie;
import org.springframework.http.ResponseEntity;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;
import org.springframework.web.bind.annotation.CookieValue;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * The dashboard's login session. The refresh token never reaches page scripts: it lives in the HttpOnly cookie
 * {@value #COOKIE}, sent only with same-site requests to {@value #PATH}. The page gets the access token, which
 * it keeps in memory and sends as a bearer token to the public API like any other client.
 * <p>
 * Cross-site request forgery: the cookie is SameSite=Strict; logging in needs a JSON body and logging out a
 * DELETE, which browsers never send cross-origin without a CORS preflight the gateway does not grant; refreshing
 * has no body, so it needs the header {@value #CSRF_HEADER}: {@value #CSRF_VALUE} for the same reason.
 */
@RestController
@EnableConfigurationProperties(SessionProperties.class)
class SessionController {

    static final String PATH = "/ui/session";
    static final String COOKIE = "taskmesh_refresh";
    static final String CSRF_HEADER = "X-Requested-With";
    static final String CSRF_VALUE = "taskmesh";

    private static final Logger log = LoggerFactory.getLogger(SessionController.class);

    private final RegistryAuth registry;
    private final ReactiveJwtDecoder decoder;
    private final SessionProperties properties;

    SessionController(RegistryAuth registry, ReactiveJwtDecoder decoder, SessionProperties properties) {
        this.registry = registry;
        this.decoder = decoder;
        this.properties = properties;
    }

    /** Logs in with a username and password. */
    @PostMapping(path = PATH, consumes = MediaType.APPLICATION_JSON_VALUE)
    Mono<ResponseEntity<Object>> login(@RequestBody LoginRequest login, ServerHttpRequest request) {
        if (isBlank(login.username()) || isBlank(login.password())) {
            return Mono.just(problem(HttpStatus.BAD_REQUEST, "username and password are required", request, false));
        }
        return registry.passwordGrant(login.username(), login.password())
                .flatMap(tokens -> opened(tokens, request))
                .onErrorResume(e -> Mono.just(failure(e, "Invalid username or password", request)));
    }

    /** A fresh access token for the session in the cookie, whose refresh token is rotated. */
    @PostMapping(PATH + "/refresh")
    Mono<ResponseEntity<Object>> refresh(@RequestHeader(name = CSRF_HEADER, required = false) @Nullable String csrf,
                                         @CookieValue(name = COOKIE, required = false) @Nullable String refreshToken,
                                         ServerHttpRequest request) {
        if (!CSRF_VALUE.equals(csrf)) {
            return Mono.just(problem(HttpStatus.FORBIDDEN,
                    "Refreshing a session needs the header " + CSRF_HEADER + ": " + CSRF_VALUE, request, false));
        }
        if (isBlank(refreshToken)) {
            return Mono.just(problem(HttpStatus.UNAUTHORIZED, "No session; log in", request, true));
        }
        return registry.refresh(refreshToken)
                .flatMap(tokens -> opened(tokens, request))
                .onErrorResume(e -> Mono.just(failure(e, "Your session has ended; log in again", request)));
    }

    /**
     * Logs out: the registry uses up the refresh token and the browser forgets it. The cookie is cleared even when
     * the registry cannot be reached, so the page is logged out either way.
     */
    @DeleteMapping(PATH)
    Mono<ResponseEntity<Void>> logout(@CookieValue(name = COOKIE, required = false) @Nullable String refreshToken,
                                      ServerHttpRequest request) {
        Mono<Void> revoked = isBlank(refreshToken) ? Mono.empty()
                : registry.revoke(refreshToken).onErrorResume(e -> {
                    log.warn("Could not revoke a refresh token at logout: {}", e.getMessage());
                    return Mono.empty();
                });
        return revoked.then(Mono.fromSupplier(() -> ResponseEntity.noContent()
                .cacheControl(CacheControl.noStore())
                .header(HttpHeaders.SET_COOKIE, cookie("", request, true).toString())
                .build()));
    }

    private Mono<ResponseEntity<Object>> opened(TokenResponse tokens, ServerHttpRequest request) {
        String refreshToken = tokens.refresh_token();
        if (refreshToken == null) {
            return Mono.error(new RegistryAuth.Failed("worker-registry answered no refresh token"));
        }
        // Verified although it came straight from the registry: the claims shown to the page must be the ones
        // every service will accept.
        return decoder.decode(tokens.access_token()).map(jwt -> ResponseEntity.ok()
                .cacheControl(CacheControl.noStore())
                .header(HttpHeaders.SET_COOKIE, cookie(refreshToken, request, false).toString())
                .body(new SessionView(tokens.access_token(), tokens.expires_in(), userOf(jwt))));
    }

    private static SessionView.User userOf(Jwt jwt) {
        List<String> roles = jwt.getClaimAsStringList(Claims.ROLES);
        String name = jwt.getClaimAsString(Claims.NAME);
        return new SessionView.User(jwt.getSubject(), name == null ? jwt.getSubject() : name,
                roles == null ? List.of() : roles);
    }

    private ResponseEntity<Object> failure(Throwable error, String refusal, ServerHttpRequest request) {
        if (error instanceof RegistryAuth.Rejected) {
            return problem(HttpStatus.UNAUTHORIZED, refusal, request, true);
        }
        if (error instanceof RegistryAuth.Unavailable || causedByConnectFailure(error)) {
            log.warn("Session request {} failed: worker-registry is not reachable ({})", request.getPath(),
                    error.toString());
            return problem(HttpStatus.SERVICE_UNAVAILABLE, "worker-registry is not reachable", request, false);
        }
        log.error("Session request {} failed", request.getPath(), error);
        return problem(HttpStatus.BAD_GATEWAY, "worker-registry did not answer as expected", request, false);
    }

    private ResponseEntity<Object> problem(HttpStatus status, String detail, ServerHttpRequest request,
                                           boolean clearCookie) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setInstance(URI.create(request.getPath().value()));
        ResponseEntity.BodyBuilder response = ResponseEntity.status(status)
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .cacheControl(CacheControl.noStore());
        if (clearCookie) {
            response.header(HttpHeaders.SET_COOKIE, cookie("", request, true).toString());
        }
        return response.body(problem);
    }

    /** The refresh-token cookie, or (when {@code expired}) the header that makes the browser drop it. */
    private ResponseCookie cookie(String value, ServerHttpRequest request, boolean expired) {
        return ResponseCookie.from(COOKIE, value)
                .httpOnly(true)
                .secure(isHttps(request))
                .sameSite("Strict")
                .path(PATH)
                .maxAge(expired ? Duration.ZERO : properties.refreshCookieMaxAge())
                .build();
    }

    private static boolean isHttps(ServerHttpRequest request) {
        return request.getSslInfo() != null || "https".equalsIgnoreCase(request.getURI().getScheme());
    }

    private static boolean causedByConnectFailure(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof ConnectException) {
                return true;
            }
        }
        return false;
    }

    private static boolean isBlank(@Nullable String value) {
        return value == null || value.isBlank();
    }
}
