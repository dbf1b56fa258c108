package dev.taskmesh.task.lifecycle;

import dev.taskmesh.contract.task.TaskStatus;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.scheduling.annotation.SchedulingConfigurer;
import org.springframework.scheduling.config.ScheduledTaskRegistrar;
import org.springframework.stereotype.Component;

/**
 * Gauges {@code taskmesh.tasks.queued} and {@code taskmesh.tasks.running}, counted in the database every few
 * seconds rather than on every scrape.
 */
@Component
class TaskGauges implements SchedulingConfigurer {

    private static final Logger log = LoggerFactory.getLogger(TaskGauges.class);
    private static final Duration REFRESH = Duration.ofSeconds(5);

    private final TaskStore store;
    private final AtomicLong queued = new AtomicLong();
    private final AtomicLong running = new AtomicLong();

    TaskGauges(TaskStore store, MeterRegistry meters) {
        this.store = store;
        Gauge.builder("taskmesh.tasks.queued", queued, AtomicLong::get).description("Tasks waiting for an agent")
                .register(meters);
        Gauge.builder("taskmesh.tasks.running", running, AtomicLong::get).description("Tasks an agent runs now")
                .register(meters);
    }

    @Override
    public void configureTasks(ScheduledTaskRegistrar registrar) {
        registrar.addFixedDelayTask(this::refresh, REFRESH);
    }

    void refresh() {
        try {
            long q = 0;
            long r = 0;
            for (TaskStore.StatusCount count : store.countByStatus()) {
                if (count.status() == TaskStatus.QUEUED) {
                    q = count.count();
                } else if (count.status() == TaskStatus.RUNNING) {
                    r = count.count();
                }
            }
            queued.set(q);
            running.set(r);
        } catch (DataAccessException e) {
            log.warn("Cannot count tasks for the gauges: {}", e.getMessage());
        }
    }
}
