package dev.taskmesh.gateway.routing;

import java.net.URI;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Where the gateway sends each part of the API.
 *
 * @param registryUrl      base URL of the worker-registry: authentication, users, workers
 * @param taskServiceUrl   base URL of the task-service: tasks and the agents' WebSocket
 * @param resultServiceUrl base URL of the result-service: results, output files, logs
 */
@ConfigurationProperties("taskmesh.gateway")
public record GatewayProperties(@DefaultValue("http://127.0.0.1:8081") URI registryUrl,
                         @DefaultValue("http://127.0.0.1:8082") URI taskServiceUrl,
                         @DefaultValue("http://127.0.0.1:8083") URI resultServiceUrl) {
}
