package dev.taskmesh.gateway.routing;

import dev.taskmesh.gateway.problem.Problems;
import java.net.ConnectException;
import java.net.UnknownHostException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebExceptionHandler;
import reactor.core.publisher.Mono;

/**
 * Turns every error of the gateway itself into problem+json: no route (404), a service that cannot be reached
 * (503), anything else (500). Ordered before Boot's default handler, which would answer its own JSON shape.
 */
@Component
@Order(-2)
class GatewayErrorHandler implements WebExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(GatewayErrorHandler.class);

    @Override
    public Mono<Void> handle(ServerWebExchange exchange, Throwable ex) {
        if (exchange.getResponse().isCommitted()) {
            return Mono.error(ex);
        }
        String path = exchange.getRequest().getPath().value();
        if (isUnreachable(ex)) {
            String detail = unreachableDetail(exchange);
            log.warn("{} ({} {}): {}", detail, exchange.getRequest().getMethod(), path, ex.toString());
            return Problems.write(exchange, HttpStatus.SERVICE_UNAVAILABLE, detail);
        }
        if (ex instanceof ResponseStatusException statusException) {
            HttpStatus status = HttpStatus.resolve(statusException.getStatusCode().value());
            if (status == null) {
                status = HttpStatus.INTERNAL_SERVER_ERROR;
            }
            exchange.getResponse().getHeaders().addAll(statusException.getHeaders());
            return Problems.write(exchange, status, detailOf(status, statusException.getReason()));
        }
        log.error("Unexpected error for {} {}", exchange.getRequest().getMethod(), path, ex);
        return Problems.write(exchange, HttpStatus.INTERNAL_SERVER_ERROR, "Unexpected error in the gateway");
    }

    private static String detailOf(HttpStatus status, @Nullable String reason) {
        if (status == HttpStatus.NOT_FOUND) {
            // Framework reasons ("No static resource ...") describe our internals, not the API.
            return "Nothing is served at this path";
        }
        return reason == null || reason.isBlank() ? status.getReasonPhrase() : reason;
    }

    private static boolean isUnreachable(Throwable ex) {
        for (Throwable cause = ex; cause != null; cause = cause.getCause()) {
            // Netty's connect failures and connect timeouts both extend ConnectException.
            if (cause instanceof ConnectException || cause instanceof UnknownHostException) {
                return true;
            }
        }
        return false;
    }

    private static String unreachableDetail(ServerWebExchange exchange) {
        Route route = exchange.getAttribute(ServerWebExchangeUtils.GATEWAY_ROUTE_ATTR);
        if (route != null && route.getMetadata().get(GatewayRoutes.SERVICE_METADATA) instanceof String service) {
            return service + " is not reachable";
        }
        // Before a route is chosen, the only call out of the gateway is the token check fetching the JWKS.
        return "worker-registry is not reachable to verify the token";
    }
}
