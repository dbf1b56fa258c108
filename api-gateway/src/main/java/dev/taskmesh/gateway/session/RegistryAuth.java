package dev.taskmesh.gateway.session;

import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.contract.auth.TokenRequest;
import dev.taskmesh.contract.auth.TokenResponse;
import dev.taskmesh.gateway.routing.GatewayProperties;
import io.netty.channel.ChannelOption;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientRequestException;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;

/**
 * The registry's token endpoints, called by the gateway on the page's behalf. Failures come out as
 * {@link Rejected} (the registry refused the credentials), {@link Unavailable} (it could not be reached in time)
 * or {@link Failed} (it answered something else).
 */
@Component
class RegistryAuth {

    private static final int CONNECT_TIMEOUT_MILLIS = 3000;

    private final WebClient registry;
    private final SessionProperties properties;

    RegistryAuth(GatewayProperties gateway, SessionProperties properties) {
        this.properties = properties;
        this.registry = WebClient.builder()
                .baseUrl(gateway.registryUrl().toString())
                .clientConnector(new ReactorClientHttpConnector(HttpClient.create()
                        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MILLIS)))
                .build();
    }

    /** The password grant: a token pair for a person. */
    Mono<TokenResponse> passwordGrant(String username, String password) {
        return post(ApiPaths.AUTH_TOKEN, TokenRequest.password(username, password));
    }

    /** A fresh pair for a refresh token, which the registry uses up. */
    Mono<TokenResponse> refresh(String refreshToken) {
        return post(ApiPaths.AUTH_REFRESH, Map.of("refresh_token", refreshToken));
    }

    /** Uses up a refresh token (logout); the registry answers 204 whether it existed or not. */
    Mono<Void> revoke(String refreshToken) {
        return registry.post()
                .uri(ApiPaths.AUTH_REVOKE)
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("refresh_token", refreshToken))
                .exchangeToMono(response -> response.statusCode().is2xxSuccessful() ? response.releaseBody()
                        : response.releaseBody().then(Mono.<Void>error(
                                new Failed("worker-registry answered " + response.statusCode().value()))))
                .timeout(properties.registryTimeout())
                .onErrorMap(e -> e instanceof WebClientRequestException || e instanceof TimeoutException,
                        e -> new Unavailable(e));
    }

    private Mono<TokenResponse> post(String path, Object body) {
        return registry.post()
                .uri(path)
                .contentType(MediaType.APPLICATION_JSON)
                .accept(MediaType.APPLICATION_JSON)
                .bodyValue(body)
                .exchangeToMono(this::tokensOf)
                .timeout(properties.registryTimeout())
                .onErrorMap(e -> e instanceof WebClientRequestException || e instanceof TimeoutException,
                        e -> new Unavailable(e));
    }

    private Mono<TokenResponse> tokensOf(ClientResponse response) {
        if (response.statusCode().is2xxSuccessful()) {
            return response.bodyToMono(TokenResponse.class);
        }
        // 400 for a malformed refresh token is as good as a wrong one to the page: it must log in again.
        boolean refused = response.statusCode().isSameCodeAs(HttpStatus.UNAUTHORIZED)
                || response.statusCode().isSameCodeAs(HttpStatus.BAD_REQUEST);
        RuntimeException error = refused ? new Rejected()
                : new Failed("worker-registry answered " + response.statusCode().value());
        return response.releaseBody().then(Mono.error(error));
    }

    /** The registry refused the credentials or the refresh token. */
    static final class Rejected extends RuntimeException {
        Rejected() {
            super("refused by worker-registry", null, false, false);
        }
    }

    /** The registry could not be reached, or did not answer in time. */
    static final class Unavailable extends RuntimeException {
        Unavailable(Throwable cause) {
            super("worker-registry is not reachable", cause);
        }
    }

    /** The registry answered something other than tokens or a refusal. */
    static final class Failed extends RuntimeException {
        Failed(String message) {
            super(message);
        }
    }
}
