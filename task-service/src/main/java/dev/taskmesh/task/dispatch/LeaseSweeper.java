package dev.taskmesh.task.dispatch;

import dev.taskmesh.task.lifecycle.TaskLifecycle;
import dev.taskmesh.task.lifecycle.TaskRow;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.SchedulingConfigurer;
import org.springframework.scheduling.config.ScheduledTaskRegistrar;
import org.springframework.stereotype.Component;

/**
 * Every {@code taskmesh.dispatch.sweep-interval}: the tasks of workers without an unexpired lease are lost (back to
 * the queue while attempts remain, else FAILED), and agents silent for a whole lease are forgotten. A disconnect
 * alone requeues nothing: the agent may come back within its lease and report the tasks still running. Nothing
 * is reaped during the restart grace after a start, so that agents can reconnect to a restarted service first.
 */
@Component
class LeaseSweeper implements SchedulingConfigurer {

    private static final Logger log = LoggerFactory.getLogger(LeaseSweeper.class);
    /** Bounds one sweep's transaction; the next sweep takes the rest. */
    private static final int BATCH = 500;

    private final TaskLifecycle lifecycle;
    private final ConnectedAgents agents;
    private final DispatchProperties properties;
    private final RateLimitedLog failures = new RateLimitedLog(log);
    /**
     * No task is declared lost before {@code restart-grace} has passed since this instance started. While it was down
     * nobody renewed its agents' leases, so they all look expired; the agents reconnect and report what they still
     * run. Reaping at once would re-run every running task after a restart.
     */
    private final Instant reapFrom;

    LeaseSweeper(TaskLifecycle lifecycle, ConnectedAgents agents, DispatchProperties properties) {
        this.lifecycle = lifecycle;
        this.agents = agents;
        this.properties = properties;
        this.reapFrom = Instant.now().plus(properties.restartGrace());
    }

    @Override
    public void configureTasks(ScheduledTaskRegistrar registrar) {
        registrar.addFixedDelayTask(this::sweep, properties.sweepInterval());
    }

    void sweep() {
        if (Instant.now().isBefore(reapFrom)) {
            return;
        }
        try {
            List<TaskRow> lost = lifecycle.loseUnleased(BATCH, workerId -> "worker " + workerId
                    + " lost the task (no heartbeat for " + format(properties.lease()) + ")");
            if (!lost.isEmpty()) {
                log.info("Requeued or failed {} task(s) of workers whose lease expired", lost.size());
            }
            List<String> forgotten = agents.forgetSilentSince(Instant.now().minus(properties.lease()));
            if (!forgotten.isEmpty()) {
                log.info("Forgot agents silent for {}: {}", format(properties.lease()), forgotten);
            }
        } catch (RuntimeException e) {
            failures.warn("Lease sweep failed: {}", e.toString());
        }
    }

    static String format(Duration duration) {
        return duration.toMillisPart() == 0 ? duration.toSeconds() + "s" : duration.toMillis() + "ms";
    }
}
