package dev.taskmesh.task.intake;

import dev.taskmesh.task.lifecycle.TaskChanged;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.springframework.stereotype.Component;
import org.springframework.transaction.event.TransactionalEventListener;

/**
 * Callers waiting for a task's outcome ({@code ?waitSeconds=N} on REST, {@code wait-seconds} on a STOMP submission),
 * released when this instance commits the outcome. Memory only: an outcome another instance records releases nobody
 * here, and the waiting caller sees it when its wait ends and it reads the task again.
 */
@Component
class CompletionWaiters {

    /** One task's waiters; {@code count} is only read and written inside the map's atomic operations. */
    private static final class Waiter {
        final CompletableFuture<Void> released = new CompletableFuture<>();
        int count;
    }

    private final Map<UUID, Waiter> waiters = new ConcurrentHashMap<>();

    CompletionWaiters(MeterRegistry meters) {
        Gauge.builder("taskmesh.tasks.waited.on", waiters, Map::size)
                .description("Tasks whose outcome callers wait for (?waitSeconds=N, STOMP wait-seconds)")
                .register(meters);
    }

    /**
     * Completes when the task's outcome is committed here, or at the timeout, whichever comes first. It completes on
     * the thread that committed the outcome (or the timer's): a caller with more than a little to do continues on
     * an executor of its own.
     *
     * @param isFinal read after the waiter is registered, so that an outcome committed just before is not missed
     */
    CompletableFuture<Void> finalOrTimeout(UUID taskId, Duration timeout, BooleanSupplier isFinal) {
        Waiter waiter = waiters.compute(taskId, (id, current) -> {
            Waiter w = current == null ? new Waiter() : current;
            w.count++;
            return w;
        });
        CompletableFuture<Void> done = waiter.released.copy()
                .completeOnTimeout(null, timeout.toMillis(), TimeUnit.MILLISECONDS);
        done.whenComplete((ignored, error) -> waiters.computeIfPresent(taskId,
                (id, current) -> current == waiter && --current.count == 0 ? null : current));
        if (isFinal.getAsBoolean()) {
            done.complete(null);
        }
        return done;
    }

    /** Blocks (a virtual thread: requests run on them) until {@link #finalOrTimeout} completes. */
    void awaitFinal(UUID taskId, Duration timeout, BooleanSupplier isFinal) throws InterruptedException {
        try {
            finalOrTimeout(taskId, timeout, isFinal).get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("waiting for task " + taskId + " failed", e.getCause());
        }
    }

    @TransactionalEventListener
    void onChange(TaskChanged change) {
        if (change.task().status().isFinal() && change.statusChanged()) {
            Waiter waiter = waiters.remove(change.task().id());
            if (waiter != null) {
                waiter.released.complete(null);
            }
        }
    }
}
