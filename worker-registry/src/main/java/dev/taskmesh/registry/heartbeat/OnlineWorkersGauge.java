package dev.taskmesh.registry.heartbeat;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.scheduling.annotation.SchedulingConfigurer;
import org.springframework.scheduling.config.ScheduledTaskRegistrar;
import org.springframework.stereotype.Component;

/**
 * {@code taskmesh.workers.online}: workers with a recent heartbeat. Counted once per heartbeat interval, not on
 * every scrape, so that scrapes never wait on the database.
 */
@Component
class OnlineWorkersGauge implements SchedulingConfigurer {

    static final String METRIC = "taskmesh.workers.online";
    private static final Logger log = LoggerFactory.getLogger(OnlineWorkersGauge.class);

    private final Heartbeats heartbeats;
    private final LivenessProperties liveness;
    private final AtomicLong online = new AtomicLong();

    OnlineWorkersGauge(Heartbeats heartbeats, LivenessProperties liveness, MeterRegistry registry) {
        this.heartbeats = heartbeats;
        this.liveness = liveness;
        Gauge.builder(METRIC, online, AtomicLong::get)
                .description("Workers whose last heartbeat arrived within taskmesh.registry.offline-after")
                .register(registry);
    }

    @Override
    public void configureTasks(ScheduledTaskRegistrar registrar) {
        // the count cannot change meaningfully faster than heartbeats arrive
        registrar.addFixedDelayTask(this::refresh, liveness.heartbeatInterval());
    }

    void refresh() {
        try {
            online.set(heartbeats.countOnline());
        } catch (DataAccessException e) {
            // keep the last count; the next refresh tries again
            log.warn("Cannot count online workers: {}", e.getMessage());
        }
    }
}
