package dev.taskmesh.registry.heartbeat;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How the registry decides a worker is gone.
 *
 * @param heartbeatInterval how often agents send heartbeats; the online-workers gauge is refreshed as often
 * @param offlineAfter      a worker whose last heartbeat arrived longer ago than this is OFFLINE
 */
@ConfigurationProperties("taskmesh.registry")
record LivenessProperties(@DefaultValue("5s") Duration heartbeatInterval,
                          @DefaultValue("20s") Duration offlineAfter) {
}
