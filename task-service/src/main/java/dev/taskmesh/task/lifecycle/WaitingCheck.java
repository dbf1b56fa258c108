package dev.taskmesh.task.lifecycle;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.scheduling.annotation.SchedulingConfigurer;
import org.springframework.scheduling.config.ScheduledTaskRegistrar;
import org.springframework.stereotype.Component;

/**
 * Every {@code taskmesh.tasks.waiting-check-interval}: sets the waiting reason of queued tasks that no online worker
 * can ever run ({@link WaitingReasons}) against the whole fleet in {@code worker_leases}, and clears it once one
 * could. Each check reads at most {@code waiting-check-batch} queued tasks and the next one goes on after the last,
 * round the queue, so a long queue costs a bounded amount per check. Only changed reasons are written.
 */
@Component
class WaitingCheck implements SchedulingConfigurer {

    private static final Logger log = LoggerFactory.getLogger(WaitingCheck.class);

    private final TaskStore store;
    private final Fleet fleet;
    private final LifecycleProperties properties;
    private @Nullable UUID cursor;

    WaitingCheck(TaskStore store, Fleet fleet, LifecycleProperties properties) {
        this.store = store;
        this.fleet = fleet;
        this.properties = properties;
    }

    @Override
    public void configureTasks(ScheduledTaskRegistrar registrar) {
        registrar.addFixedDelayTask(this::check, properties.waitingCheckInterval());
    }

    void check() {
        try {
            List<FleetWorker> online = fleet.online(Instant.now());
            List<TaskRow> page = store.queuedAfter(cursor, properties.waitingCheckBatch());
            cursor = page.size() < properties.waitingCheckBatch() ? null : page.getLast().id();
            Map<UUID, @Nullable String> changed = new HashMap<>();
            for (TaskRow task : page) {
                String reason = WaitingReasons.of(task, online);
                if (!Objects.equals(reason, task.waitingReason())) {
                    changed.put(task.id(), reason);
                }
            }
            if (!changed.isEmpty()) {
                store.setWaitingReasons(changed);
            }
        } catch (DataAccessException e) {
            log.warn("Cannot check why queued tasks wait: {}", e.getMessage());
        }
    }
}
