package dev.taskmesh.task.dispatch;

import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.contract.agent.Heartbeat;
import dev.taskmesh.contract.agent.WorkerHeartbeats;
import dev.taskmesh.support.SecurityProperties;
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
 * never touch task rows.
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
    private final Map<String, Instant> leasesToRenew = new ConcurrentHashMap<>();
    private final Map<String, WorkerHeartbeats.Received> toForward = new ConcurrentHashMap<>();
    private final RateLimitedLog leaseFailures = new RateLimitedLog(log);
    private final RateLimitedLog forwardFailures = new RateLimitedLog(log);

    HeartbeatRelay(LeaseStore leases, DispatchProperties properties, SecurityProperties security, JsonMapper json) {
        this.leases = leases;
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
        leasesToRenew.merge(workerId, receivedAt, (a, b) -> a.isAfter(b) ? a : b);
        toForward.put(workerId, new WorkerHeartbeats.Received(workerId, heartbeat, receivedAt));
    }

    /** Renews one lease at once: a newly connected agent must hold its lease before it is given any task. */
    void renewNow(String workerId, Instant receivedAt) {
        leases.renew(Map.of(workerId, receivedAt.plus(properties.lease())));
    }

    /** Keeps the labels of a newly registered agent with its lease (broadcasts to a label choose by them). */
    void saveLabels(String workerId, List<String> labels) {
        leases.saveLabels(workerId, labels);
    }

    void flush() {
        renewLeases();
        forward();
    }

    private void renewLeases() {
        if (leasesToRenew.isEmpty()) {
            return;
        }
        Map<String, Instant> batch = new HashMap<>(leasesToRenew);
        Map<String, Instant> expiries = new HashMap<>();
        batch.forEach((worker, at) -> expiries.put(worker, at.plus(properties.lease())));
        try {
            leases.renew(expiries);
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
            HttpRequest request = HttpRequest.newBuilder(uri)
                    .timeout(TIMEOUT)
                    .header("Content-Type", "application/json")
                    .header(ApiPaths.INTERNAL_SECRET_HEADER, String.valueOf(security.internalSecret()))
                    .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(new WorkerHeartbeats(batch))))
                    .build();
            HttpResponse<Void> response = http.send(request, HttpResponse.BodyHandlers.discarding());
            if (response.statusCode() / 100 != 2) {
                forwardFailures.warn("The registry answered {} to {} heartbeat(s) at {}; they will be sent again",
                        response.statusCode(), batch.size(), uri);
                return;
            }
            batch.forEach(sent -> toForward.remove(sent.workerId(), sent));
        } catch (IOException e) {
            forwardFailures.warn("Cannot forward {} heartbeat(s) to the registry at {}: {}; they will be sent again",
                    batch.size(), uri, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
