package dev.taskmesh.task.lifecycle;

import java.time.Duration;
import java.time.Instant;

/**
 * The order in which queued tasks are claimed: higher priority first, first come first served within a priority,
 * and a task's effective priority grows by 1 per {@code taskmesh.tasks.aging-interval} it waits, so that a steady
 * stream of high-priority work delays low-priority work but never starves it.
 *
 * <p>Effective priority at time {@code now} is {@code priority + (now - runnableAt) / aging}. For a fixed
 * {@code now}, ordering by it (descending) is the same as ordering by {@code runnableAt - priority × aging}
 * (ascending): the {@code now} term is common to every row. That key does not change while the task waits, so it
 * is stored when the task enters the queue ({@code tasks.dispatch_at}) and an ordinary index serves the claim's
 * {@code ORDER BY} instead of sorting every queued row on each claim. Equal priorities keep their arrival order.
 * A priority 0 task that waited 5 aging intervals goes before a priority 4 task submitted now, and after a
 * priority 6 one.
 */
public final class DispatchOrder {

    private DispatchOrder() {
    }

    /**
     * The stored claim key of a task.
     *
     * @param runnableAt when it entered the queue, or when its retry backoff ends
     */
    public static Instant key(Instant runnableAt, int priority, Duration agingInterval) {
        return runnableAt.minus(agingInterval.multipliedBy(priority));
    }
}
