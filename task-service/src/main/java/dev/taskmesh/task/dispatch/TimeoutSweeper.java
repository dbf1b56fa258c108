package dev.taskmesh.task.dispatch;

import dev.taskmesh.task.lifecycle.TaskLifecycle;
import dev.taskmesh.task.lifecycle.TaskRow;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.SchedulingConfigurer;
import org.springframework.scheduling.config.ScheduledTaskRegistrar;
import org.springframework.stereotype.Component;

/**
 * Every {@code taskmesh.dispatch.sweep-interval}: queued tasks past their queue timeout fail
 * ({@code queue timeout: waited N s; <waiting reason>}), and active tasks still held a whole lease after their
 * {@code timeoutSeconds} ran out fail with {@code timed out after N s (server)}, their agents told to stop them.
 * The agent enforces run-time limits itself; this is the safety net for an agent that does not.
 */
@Component
class TimeoutSweeper implements SchedulingConfigurer {

    private static final Logger log = LoggerFactory.getLogger(TimeoutSweeper.class);
    /** Bounds one sweep's transaction; the next sweep takes the rest. */
    private static final int BATCH = 500;

    private final TaskLifecycle lifecycle;
    private final DispatchProperties properties;
    private final RateLimitedLog failures = new RateLimitedLog(log);

    TimeoutSweeper(TaskLifecycle lifecycle, DispatchProperties properties) {
        this.lifecycle = lifecycle;
        this.properties = properties;
    }

    @Override
    public void configureTasks(ScheduledTaskRegistrar registrar) {
        registrar.addFixedDelayTask(this::sweep, properties.sweepInterval());
    }

    void sweep() {
        try {
            List<TaskRow> waitedTooLong = lifecycle.failQueueTimeouts(BATCH);
            if (!waitedTooLong.isEmpty()) {
                log.info("Failed {} task(s) that waited in the queue past their queue timeout", waitedTooLong.size());
            }
            List<TaskRow> overdue = lifecycle.failOverdue(properties.lease(), BATCH);
            if (!overdue.isEmpty()) {
                log.warn("Failed {} task(s) whose agents kept them past their run-time limit: {}", overdue.size(),
                        overdue.stream().map(t -> t.id() + " on " + t.workerId()).toList());
            }
        } catch (RuntimeException e) {
            failures.warn("Timeout sweep failed: {}", e.toString());
        }
    }
}
