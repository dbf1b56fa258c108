package dev.taskmesh.task.fanout;

import dev.taskmesh.task.lifecycle.FanOut;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.dao.DataAccessException;
import org.springframework.scheduling.annotation.SchedulingConfigurer;
import org.springframework.scheduling.config.ScheduledTaskRegistrar;
import org.springframework.stereotype.Component;

/**
 * Every {@code taskmesh.fan-out.group-sweep-interval}: ends the running groups whose children all ended, whose
 * check after the last child's outcome was lost (the service stopped between the child's commit and the check).
 */
@Component
@EnableConfigurationProperties(FanOutProperties.class)
class GroupSweeper implements SchedulingConfigurer {

    private static final Logger log = LoggerFactory.getLogger(GroupSweeper.class);
    /** Bounds one sweep's transaction; the next sweep takes the rest. */
    private static final int BATCH = 100;

    private final FanOut fanOut;
    private final FanOutProperties properties;

    GroupSweeper(FanOut fanOut, FanOutProperties properties) {
        this.fanOut = fanOut;
        this.properties = properties;
    }

    @Override
    public void configureTasks(ScheduledTaskRegistrar registrar) {
        registrar.addFixedDelayTask(this::sweep, properties.groupSweepInterval());
    }

    void sweep() {
        try {
            int completed = fanOut.completeForgottenGroups(BATCH);
            if (completed > 0) {
                log.info("Ended {} group(s) whose children had all ended", completed);
            }
        } catch (DataAccessException e) {
            log.warn("Group sweep failed: {}", e.getMessage());
        }
    }
}
