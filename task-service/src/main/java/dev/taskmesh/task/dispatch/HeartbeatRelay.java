package dev.taskmesh.task.dispatch;

import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.contract.agent.Capabilities;
import dev.taskmesh.contract.agent.Heartbeat;
import dev.taskmesh.contract.agent.WorkerHeartbeats;
import dev.taskmesh.support.SecurityProperties;
import dev.taskmesh.task.drain.WorkerDrains;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.scheduling.annotation.SchedulingConfigurer;
import org.springframework.scheduling.config.ScheduledTaskRegistrar;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Keeps the latest heartbeat of each worker and, every {@code taskmesh.dispatch.heartbeat-flush}, renews the leases
 * of the workers heard from in one JDBC batch and forwards the heartbeats to the registry in one call. Whatever
 * could not be written or sent is kept for the next flush (only the latest heartbeat of each worker). Heartbeats
 * never touch task rows. The lease rows also keep each worker's capabilities, and the registry learns which workers
 * are drained ({@code draining} of each forwarded heartbeat).
 */
@Component
class HeartbeatRelay implements SchedulingConfigurer {

    private static final Logger log = LoggerFactory.getLogger(HeartbeatRelay.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final LeaseStore leases;
    private final DispatchProperties properties;
    private final SecurityProperties security;
    private final JsonMapper json;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private final Map<String, Heard> leasesToRenew = new ConcurrentHashMap<>();
    private final Map<String, WorkerHeartbeats.Received> toForward = new ConcurrentHashMap<>();
    private final RateLimitedLog leaseFailures = new RateLimitedLog(log);
    private final RateLimitedLog forwardFailures = new RateLimitedLog(log);

    private final WorkerDrains drains;

    /** The latest heartbeat of a worker not yet written to its lease. */
    private record Heard(Instant at, Capabilities capabilities) {
    }

    HeartbeatRelay(LeaseStore leases, WorkerDrains drains, DispatchProperties properties, SecurityProperties security,
                   JsonMapper json) {
        this.leases = leases;
        this.drains = drains;
        this.properties = properties;
        this.security = security;
        this.json = json;
    }

    @Override
    public void configureTasks(ScheduledTaskRegistrar registrar) {
        registrar.addFixedDelayTask(this::flush, properties.heartbeatFlush());
    }

    /** Keeps a heartbeat for the next flush. */
    void received(String workerId, Heartbeat heartbeat, Instant receivedAt) {
        leasesToRenew.merge(workerId, new Heard(receivedAt, heartbeat.capabilities()),
                (a, b) -> a.at().isAfter(b.at()) ? a : b);
        toForward.put(workerId, new WorkerHeartbeats.Received(workerId, heartbeat, receivedAt));
    }

    /** Renews one lease at once: a newly connected agent must hold its lease before it is given any task. */
    void renewNow(String workerId, Heartbeat heartbeat, Instant receivedAt) {
        leases.renew(Map.of(workerId, new LeaseStore.Renewal(receivedAt.plus(properties.lease()), receivedAt,
                heartbeat.capabilities())));
    }

    void flush() {
        renewLeases();
        forward();
    }

    private void renewLeases() {
        if (leasesToRenew.isEmpty()) {
            return;
        }
        Map<String, Heard> batch = new HashMap<>(leasesToRenew);
        Map<String, LeaseStore.Renewal> renewals = new HashMap<>();
        batch.forEach((worker, heard) -> renewals.put(worker, new LeaseStore.Renewal(
                heard.at().plus(properties.lease()), heard.at(), heard.capabilities())));
        try {
            leases.renew(renewals);
            batch.forEach(leasesToRenew::remove); // removes only what a newer heartbeat did not replace
        } catch (DataAccessException e) {
            leaseFailures.warn("Cannot renew the leases of {} worker(s): {}", batch.size(), e.getMessage());
        }
    }

    private void forward() {
        if (toForward.isEmpty()) {
            return;
        }
        List<WorkerHeartbeats.Received> batch = List.copyOf(toForward.values());
        URI uri = properties.registryUrl().resolve(ApiPaths.INTERNAL_HEARTBEATS);
        try {
            Set<String> draining = drains.drainingAmong(batch.stream().map(WorkerHeartbeats.Received::workerId)
                    .toList());
            List<WorkerHeartbeats.Received> flagged = batch.stream()
                    .map(r -> new WorkerHeartbeats.Received(r.workerId(), r.heartbeat(), r.receivedAt(),
                            draining.contains(r.workerId())))
                    .toList();
            HttpRequest request = HttpRequest.newBuilder(uri)
                    .timeout(TIMEOUT)
                    .header("Content-Type", "application/json")
                    .header(ApiPaths.INTERNAL_SECRET_HEADER, String.valueOf(security.internalSecret()))
                    .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(new WorkerHeartbeats(flagged))))
                    .build();
            HttpResponse<Void> response = http.send(request, HttpResponse.BodyHandlers.discarding());
            if (response.statusCode() / 100 != 2) {
                forwardFailures.warn("The registry answered {} to {} heartbeat(s) at {}; they will be sent again",
                        response.statusCode(), batch.size(), uri);
                return;
            }
            batch.forEach(sent -> toForward.remove(sent.workerId(), sent));
        } catch (DataAccessException e) {
            forwardFailures.warn("Cannot read the drained workers to forward {} heartbeat(s): {}; they will be sent "
                    + "again", batch.size(), e.getMessage());
        } catch (IOException e) {
            forwardFailures.warn("Cannot forward {} heartbeat(s) to the registry at {}: {}; they will be sent again",
                    batch.size(), uri, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
