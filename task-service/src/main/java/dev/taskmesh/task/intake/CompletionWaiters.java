package dev.taskmesh.task.intake;

import dev.taskmesh.task.lifecycle.TaskChanged;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.springframework.stereotype.Component;
import org.springframework.transaction.event.TransactionalEventListener;

/**
 * Requests waiting for a task's outcome ({@code GET /api/v1/tasks/{id}?waitSeconds=N}), released when this instance
 * commits the outcome. Memory only: an outcome another instance records releases nobody here, and the waiting
 * request sees it when its wait ends and it reads the task again.
 */
@Component
class CompletionWaiters {

    /** One task's waiters; {@code count} is only read and written inside the map's atomic operations. */
    private static final class Waiter {
        final CountDownLatch released = new CountDownLatch(1);
        int count;
    }

    private final Map<UUID, Waiter> waiters = new ConcurrentHashMap<>();

    CompletionWaiters(MeterRegistry meters) {
        Gauge.builder("taskmesh.tasks.waited.on", waiters, Map::size)
                .description("Tasks whose outcome requests wait for (GET /api/v1/tasks/{id}?waitSeconds=N)")
                .register(meters);
    }

    /**
     * Blocks (a virtual thread: requests run on them) until the task's outcome is committed here, or the timeout.
     *
     * @param isFinal read after the waiter is registered, so that an outcome committed just before is not missed
     */
    void awaitFinal(UUID taskId, Duration timeout, BooleanSupplier isFinal) throws InterruptedException {
        Waiter waiter = waiters.compute(taskId, (id, current) -> {
            Waiter w = current == null ? new Waiter() : current;
            w.count++;
            return w;
        });
        try {
            if (!isFinal.getAsBoolean()) {
                waiter.released.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
            }
        } finally {
            waiters.computeIfPresent(taskId, (id, current) -> current == waiter && --current.count == 0 ? null
                    : current);
        }
    }

    @TransactionalEventListener
    void onChange(TaskChanged change) {
        if (change.task().status().isFinal() && change.statusChanged()) {
            Waiter waiter = waiters.remove(change.task().id());
            if (waiter != null) {
                waiter.released.countDown();
            }
        }
    }
}
