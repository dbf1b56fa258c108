package dev.taskmesh.task.dispatch;

import java.net.URI;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How tasks reach agents and how lost agents are noticed.
 *
 * @param lease          how long a heartbeat keeps a worker's tasks; after that without one, they are lost
 * @param heartbeatFlush how often leases are renewed in one batch and heartbeats are forwarded to the registry
 * @param sweepInterval  how often lost tasks are looked for, and the longest the dispatcher sleeps between rounds
 * @param registryUrl    base URL of the worker-registry, which receives the heartbeats
 * @param restartGrace   after this instance starts, how long no task is declared lost: the agents' leases all look
 *                       expired after a restart, and the agents need this long to reconnect (their backoff reaches
 *                       30 s) and report what they still run
 */
@ConfigurationProperties("taskmesh.dispatch")
record DispatchProperties(@DefaultValue("30s") Duration lease,
                          @DefaultValue("1s") Duration heartbeatFlush,
                          @DefaultValue("1s") Duration sweepInterval,
                          @DefaultValue("http://127.0.0.1:8081") URI registryUrl,
                          @DefaultValue("60s") Duration restartGrace) {
}
