package dev.taskmesh.gateway.routing;

import dev.taskmesh.gateway.problem.Problems;
import java.nio.charset.StandardCharsets;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.util.StringUtils;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import org.springframework.web.util.UriUtils;
import reactor.core.publisher.Mono;

/**
 * Answers 404 to every {@code /internal/**} path before security or routing see it: calls between services never
 * pass the gateway, whatever routes are added later. The path is decoded and normalized first, so that
 * {@code /api/v1/tasks/../../../internal/...} is caught too (Spring Security's firewall rejects such paths as well).
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
class InternalPathsFilter implements WebFilter {

    private static final String INTERNAL_ROOT = "/internal";

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        if (isInternal(exchange.getRequest().getPath().value())) {
            return Problems.write(exchange, HttpStatus.NOT_FOUND, "Nothing is served at this path");
        }
        return chain.filter(exchange);
    }

    /** Whether a service would read {@code rawPath} as a path under {@code /internal}. */
    static boolean isInternal(String rawPath) {
        String path = StringUtils.cleanPath(UriUtils.decode(rawPath, StandardCharsets.UTF_8))
                .replaceAll("/{2,}", "/");
        int semicolon = path.indexOf(';');
        if (semicolon >= 0) {
            path = path.substring(0, semicolon);
        }
        return path.equals(INTERNAL_ROOT) || path.startsWith(INTERNAL_ROOT + "/");
    }
}
