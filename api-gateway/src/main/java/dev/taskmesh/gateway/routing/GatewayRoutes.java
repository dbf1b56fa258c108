package dev.taskmesh.gateway.routing;

import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.contract.agent.AgentDestinations;
import java.net.URI;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.cloud.gateway.route.RouteLocator;
import org.springframework.cloud.gateway.route.builder.RouteLocatorBuilder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;
import org.springframework.web.util.UriComponentsBuilder;

/**
 * The routes of the gateway, built from {@link GatewayProperties}. Routes are tried in the order listed here, so
 * the result-service's paths under {@code /api/v1/tasks} win over the task-service's {@code /api/v1/tasks/**}, and
 * the task-service's {@code /api/v1/workers/*}{@code /drain} over the registry's {@code /api/v1/workers/**}.
 * Nothing routes {@code /internal/**} (see {@link InternalPathsFilter}).
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(GatewayProperties.class)
class GatewayRoutes {

    /** Route metadata key holding the name of the service a route leads to, for error messages. */
    static final String SERVICE_METADATA = "service";

    private static final Logger log = LoggerFactory.getLogger(GatewayRoutes.class);

    private final List<Target> targets;

    GatewayRoutes(GatewayProperties properties) {
        String task = ApiPaths.TASKS + "/*";
        this.targets = List.of(
                new Target("result-service", "result-service", properties.resultServiceUrl(),
                        List.of(task + "/result", task + "/result/**", task + "/attempts/**")),
                // draining is dispatch state, kept by the task-service; the rest of /workers is the registry's
                new Target("task-service-drain", "task-service", properties.taskServiceUrl(),
                        List.of(ApiPaths.WORKERS + "/*/drain")),
                new Target("worker-registry", "worker-registry", properties.registryUrl(),
                        List.of(ApiPaths.API + "/auth/**", ApiPaths.USERS, ApiPaths.USERS + "/**",
                                ApiPaths.WORKERS, ApiPaths.WORKERS + "/**")),
                new Target("task-service", "task-service", properties.taskServiceUrl(),
                        // "/api/v1/tasks/**" does not match "/api/v1/tasks:batch", a segment of its own
                        List.of(ApiPaths.TASKS, ApiPaths.TASKS + "/**", ApiPaths.TASKS_BATCH)),
                // The agents' STOMP endpoint (AgentDestinations.ENDPOINT) and later client topics.
                new Target("task-service-websocket", "task-service", webSocketUri(properties.taskServiceUrl()),
                        List.of(AgentDestinations.ENDPOINT, "/ws/**")));
    }

    @Bean
    RouteLocator taskmeshRoutes(RouteLocatorBuilder builder) {
        RouteLocatorBuilder.Builder routes = builder.routes();
        for (int i = 0; i < targets.size(); i++) {
            Target target = targets.get(i);
            int order = i;
            routes.route(target.id(), r -> r.order(order)
                    .path(target.paths().toArray(String[]::new))
                    .metadata(SERVICE_METADATA, target.service())
                    .uri(target.uri()));
        }
        return routes.build();
    }

    @EventListener(ApplicationReadyEvent.class)
    void logRoutes() {
        for (Target target : targets) {
            log.info("Route {}: {} -> {}", target.id(), String.join(", ", target.paths()), target.uri());
        }
    }

    /** The same service over WebSocket: {@code http} becomes {@code ws}, {@code https} becomes {@code wss}. */
    static URI webSocketUri(URI httpUri) {
        String scheme = "https".equalsIgnoreCase(httpUri.getScheme()) ? "wss" : "ws";
        return UriComponentsBuilder.fromUri(httpUri).scheme(scheme).build().toUri();
    }

    /** One route: its id, the service it leads to, where that service is, and the paths it takes. */
    private record Target(String id, String service, URI uri, List<String> paths) {
    }
}
