package dev.taskmesh.task.intake;

import dev.taskmesh.task.lifecycle.TaskChanged;
import dev.taskmesh.task.lifecycle.TaskQueries;
import dev.taskmesh.task.lifecycle.TaskView;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import org.springframework.scheduling.annotation.SchedulingConfigurer;
import org.springframework.scheduling.config.ScheduledTaskRegistrar;
import org.springframework.stereotype.Component;
import org.springframework.transaction.event.TransactionPhase;
import org.springframework.transaction.event.TransactionalEventListener;

/**
 * Callers waiting for a task's outcome ({@code ?waitSeconds=N} on REST, {@code wait-seconds} on a STOMP submission),
 * released when this instance commits the outcome. Memory only: an outcome another instance records releases nobody
 * here, and the waiting caller sees it when its wait ends and it reads the task again.
 *
 * <p>While only a few callers wait (a client that waits for each task before it submits the next), the transaction
 * that records the outcome also reads the task's attempts and children, on its own connection just before its
 * commit (unless the statement that ended the task returned them already), and the caller is released with the whole
 * task: it answers at once, without a read and a thread of its own. With more waiting, that transaction (a
 * committer's, which also claims the agents' next tasks) only releases them, and each caller reads the task itself,
 * in parallel.
 */
@Component
class CompletionWaiters implements SchedulingConfigurer {

    /** Below this many waiting tasks, the transaction that ends a task reads it for its callers. */
    static final int READ_FOR_CALLERS_BELOW = 8;
    /**
     * How often the waits past their time end (so up to this much late). Not a timer per wait: the JDK's delay
     * scheduler was signalled to add each one and to cancel it, by the threads that store the task and commit its
     * outcome, on the round trip's path; its thread switched three times per waited task (measured, sequential
     * round trips), the sweep ten times a second whatever the load.
     */
    static final Duration TIMEOUT_SWEEP = Duration.ofMillis(100);

    /** One task's waiters; {@code count} is only read and written inside the map's atomic operations. */
    private static final class Waiter {
        final CompletableFuture<Optional<TaskView>> released = new CompletableFuture<>();
        int count;
        /** Read by the transaction that made {@code change}; used only once that very change is committed. */
        volatile @Nullable ReadAt readAt;
    }

    private record ReadAt(TaskChanged change, TaskView task) {
    }

    /** One caller's wait, until its outcome or its deadline ({@link System#nanoTime}). */
    private record Timed(CompletableFuture<Optional<TaskView>> done, long deadline) {
    }

    private final Map<UUID, Waiter> waiters = new ConcurrentHashMap<>();
    private final Set<Timed> timed = ConcurrentHashMap.newKeySet();
    private final TaskQueries queries;
    private final Counter releasedWithTask;

    CompletionWaiters(TaskQueries queries, MeterRegistry meters) {
        this.queries = queries;
        Gauge.builder("taskmesh.tasks.waited.on", waiters, Map::size)
                .description("Tasks whose outcome callers wait for (?waitSeconds=N, STOMP wait-seconds)")
                .register(meters);
        this.releasedWithTask = Counter.builder("taskmesh.tasks.waits.released.with.task")
                .description("Waits released with the task read by the transaction that recorded its outcome")
                .register(meters);
    }

    /**
     * Completes when the task's outcome is committed here, or at the timeout, whichever comes first: with the task
     * as the outcome's transaction read it for the callers, otherwise empty (the caller reads it). It
     * completes on the thread that committed the outcome (or the sweep's, {@link #TIMEOUT_SWEEP}): a caller with more
     * than a little to do continues on an executor of its own.
     *
     * @param isFinal read after the waiter is registered, so that an outcome committed just before is not missed
     */
    CompletableFuture<Optional<TaskView>> finalOrTimeout(UUID taskId, Duration timeout, BooleanSupplier isFinal) {
        Waiter waiter = waiters.compute(taskId, (id, current) -> {
            Waiter w = current == null ? new Waiter() : current;
            w.count++;
            return w;
        });
        CompletableFuture<Optional<TaskView>> done = waiter.released.copy();
        Timed wait = new Timed(done, System.nanoTime() + timeout.toNanos());
        timed.add(wait);
        done.whenComplete((ignored, error) -> {
            timed.remove(wait);
            waiters.computeIfPresent(taskId, (id, current) -> current == waiter && --current.count == 0 ? null
                    : current);
        });
        if (isFinal.getAsBoolean()) {
            done.complete(Optional.empty());
        }
        return done;
    }

    @Override
    public void configureTasks(ScheduledTaskRegistrar registrar) {
        registrar.addFixedDelayTask(this::endWaitsPastTheirTime, TIMEOUT_SWEEP);
    }

    /** Ends, empty, the waits whose time is up: their callers read the task themselves. */
    void endWaitsPastTheirTime() {
        long now = System.nanoTime();
        for (Timed wait : timed) {
            if (now - wait.deadline() >= 0) {
                wait.done().complete(Optional.empty());
            }
        }
    }

    /**
     * Blocks (a virtual thread: requests run on them) until {@code outcome} ({@link #finalOrTimeout}) completes.
     *
     * @return the task at its outcome when the outcome's transaction read it; empty otherwise
     */
    static Optional<TaskView> await(CompletableFuture<Optional<TaskView>> outcome, UUID taskId)
            throws InterruptedException {
        try {
            return outcome.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("waiting for task " + taskId + " failed", e.getCause());
        }
    }

    /**
     * Just before the commit, all of its writes made: the task for its callers, read on the transaction's connection
     * (a read after the commit would take a connection and a transaction of its own), or taken from the change when
     * the statement that ended the task returned all of it ({@link TaskChanged#attemptsIfLeaf()}). Two reads by key;
     * like any statement of the transaction, one that failed would fail it (completions recorded together are then
     * recorded one by one). Where the statement that ended the task also committed
     * ({@code TaskLifecycle.finishPlainlyOver}), the reads follow that commit, and one that failed fails only the
     * notifications: the outcome stays recorded, the callers are released when their wait ends and read the task
     * themselves, and the transaction's other listeners hear nothing of it.
     */
    @TransactionalEventListener(phase = TransactionPhase.BEFORE_COMMIT)
    void beforeCommit(TaskChanged change) {
        if (endsTask(change) && waiters.size() < READ_FOR_CALLERS_BELOW) {
            Waiter waiter = waiters.get(change.task().id());
            if (waiter != null) {
                waiter.readAt = new ReadAt(change, queries.view(change));
            }
        }
    }

    @TransactionalEventListener
    void onChange(TaskChanged change) {
        if (endsTask(change)) {
            Waiter waiter = waiters.remove(change.task().id());
            if (waiter != null) {
                // the same event object: a read of a transaction that rolled back is never used
                ReadAt read = waiter.readAt;
                if (read != null && read.change() == change) {
                    releasedWithTask.increment();
                    waiter.released.complete(Optional.of(read.task()));
                } else {
                    waiter.released.complete(Optional.empty());
                }
            }
        }
    }

    private static boolean endsTask(TaskChanged change) {
        return change.task().status().isFinal() && change.statusChanged();
    }
}
