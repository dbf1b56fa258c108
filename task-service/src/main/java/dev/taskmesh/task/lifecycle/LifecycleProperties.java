package dev.taskmesh.task.lifecycle;

import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How queued tasks wait, retry and time out (the lifecycle part of {@code taskmesh.tasks}).
 *
 * @param retryBackoff         backoff before the first retry; each further retry doubles it (full jitter: the delay
 *                             is drawn uniformly between 0 and the doubled value)
 * @param retryBackoffMax      the doubled backoff never exceeds this
 * @param defaultQueueTimeout  how long a runnable task may wait in the queue when its submission does not say;
 *                             null (the default): forever
 * @param agingInterval        a queued task's effective priority grows by 1 per this much waiting; positive
 * @param maxRunningPerOwner   the most ASSIGNED or RUNNING tasks one owner may have; 0: no limit
 * @param waitingCheckInterval how often queued tasks are checked against the online fleet (waiting reasons) and
 *                             queue timeouts are enforced
 * @param waitingCheckBatch    the most queued tasks one waiting check looks at; the next check goes on from there
 */
@ConfigurationProperties("taskmesh.tasks")
public record LifecycleProperties(@DefaultValue("2s") Duration retryBackoff,
                                  @DefaultValue("5m") Duration retryBackoffMax,
                                  @Nullable Duration defaultQueueTimeout,
                                  @DefaultValue("60s") Duration agingInterval,
                                  @DefaultValue("0") int maxRunningPerOwner,
                                  @DefaultValue("5s") Duration waitingCheckInterval,
                                  @DefaultValue("2000") int waitingCheckBatch) {

    public LifecycleProperties {
        if (agingInterval.isNegative() || agingInterval.isZero()) {
            throw new IllegalArgumentException("taskmesh.tasks.aging-interval must be positive");
        }
        if (maxRunningPerOwner < 0) {
            throw new IllegalArgumentException("taskmesh.tasks.max-running-per-owner must be 0 (no limit) or more");
        }
    }
}
