package dev.taskmesh.task.intake;

import dev.taskmesh.task.dispatch.Dispatcher;
import dev.taskmesh.task.lifecycle.FanOut;
import dev.taskmesh.task.lifecycle.NewTask;
import dev.taskmesh.task.lifecycle.TaskLifecycle;
import dev.taskmesh.task.lifecycle.TaskView;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Stores single-task submissions that arrive at the same time in one transaction. Submitters only queue a submission;
 * one loop (a platform thread of its own, like the completion committer's) takes whatever has queued meanwhile, up to
 * {@value #MAX_BATCH}, and stores it in one transaction. Under load the batches grow by themselves: while one
 * transaction commits, the next gathers, so many submissions share one flush of the write-ahead log, which is what
 * bounds PostgreSQL's commit rate. The hand-off matters for STOMP: a session's frames are handled one after another
 * on the thread that read them, so a submission committed there would hold back the session's next frames.
 *
 * <p>The same transaction claims for this instance's idle agents ({@link Dispatcher#storeAndClaim}): a task
 * submitted while an agent waits is stored already assigned, and pushed to the agent right after the commit.
 *
 * <p>A caller that waits for the outcome has its waiter registered before the commit (in the transaction of a shared
 * batch; before the transaction of a submission stored alone, whose statement also commits): no outcome can come
 * before it, so nothing has to be read afterwards to learn whether one did (a transaction and two round trips to the
 * database less per waited submission).
 *
 * <p>Each submission is answered only after its transaction committed: nothing is acknowledged that a crash could
 * lose. When a shared transaction fails, each of its submissions is stored again on its own, so that one failing
 * submission does not fail the others. Submissions still queued when the service stops are stored before the loop
 * ends (it stops after the web server, which lets requests in progress finish).
 */
@Component
class GroupCommit implements SmartLifecycle {

    /** Most submissions in one transaction; what waits beyond goes into the next. */
    static final int MAX_BATCH = 500;
    /** Most submissions queued for their commit; submitters beyond wait for room. */
    static final int MAX_PENDING = 4 * MAX_BATCH;

    private static final Logger log = LoggerFactory.getLogger(GroupCommit.class);

    private record Pending(NewTask task, @Nullable Duration waitFor, CompletableFuture<Stored> stored) {
    }

    /**
     * A stored submission.
     *
     * @param outcome the task's outcome or the end of the wait, when the caller waits and the task was created;
     *                null otherwise (an earlier task found by its idempotency key may have ended already)
     */
    record Stored(TaskLifecycle.Submission submission, @Nullable CompletableFuture<Optional<TaskView>> outcome) {
    }

    private final FanOut fanOut;
    private final Dispatcher dispatcher;
    private final CompletionWaiters waiters;
    private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>(MAX_PENDING);
    /** Submissions taken from the queue whose commit is under way. */
    private final AtomicInteger committing = new AtomicInteger();
    private final DistributionSummary batchSizes;
    private volatile boolean running;
    private @Nullable Thread loop;

    GroupCommit(FanOut fanOut, Dispatcher dispatcher, CompletionWaiters waiters, MeterRegistry meters) {
        this.fanOut = fanOut;
        this.dispatcher = dispatcher;
        this.waiters = waiters;
        this.batchSizes = DistributionSummary.builder("taskmesh.tasks.submission.group.commit")
                .description("Single-task submissions stored in one transaction")
                .baseUnit("tasks")
                .register(meters);
        Gauge.builder("taskmesh.tasks.submission.pending", this, GroupCommit::pending)
                .description("Single-task submissions received and not yet stored (queued or in a commit)")
                .register(meters);
    }

    /**
     * Completes once the task is stored (or the earlier task with its idempotency key is found), or with the error
     * that prevented it, on the committer's thread.
     *
     * @param wait how long the caller waits for the outcome; null when it does not
     */
    CompletableFuture<Stored> submit(NewTask task, @Nullable Duration wait) {
        if (!running) {
            throw new IllegalStateException("The task-service is stopping; the task was not stored");
        }
        CompletableFuture<Stored> stored = new CompletableFuture<>();
        try {
            queue.put(new Pending(task, wait, stored));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted before the task was queued; it was not stored", e);
        }
        return stored;
    }

    private int pending() {
        return queue.size() + committing.get();
    }

    @Override
    public void start() {
        running = true;
        loop = Thread.ofPlatform().name("submission-committer").daemon().start(this::run);
    }

    @Override
    public void stop() {
        running = false;
        Thread thread = loop;
        if (thread != null) {
            try {
                // the loop stores what is queued, then ends; an interrupt would close the connection it may be using
                if (!thread.join(Duration.ofSeconds(10))) {
                    thread.interrupt();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Stops after the web server (a lower phase stops later), so that submissions it still accepts are stored. */
    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE - 4096;
    }

    private void run() {
        while (running || !queue.isEmpty()) {
            try {
                Pending first = queue.poll(1, TimeUnit.SECONDS);
                if (first == null) {
                    continue;
                }
                List<Pending> batch = new ArrayList<>();
                batch.add(first);
                queue.drainTo(batch, MAX_BATCH - 1);
                committing.set(batch.size());
                try {
                    commit(batch);
                } finally {
                    committing.set(0);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                log.warn("Storing submissions failed: {}", e.toString());
            }
        }
    }

    private void commit(List<Pending> batch) {
        batchSizes.record(batch.size());
        if (batch.size() == 1) {
            commitAlone(batch.getFirst());
            return;
        }
        Waits waits = new Waits(batch);
        List<TaskLifecycle.Submission> submissions;
        try {
            List<NewTask> tasks = batch.stream().map(Pending::task).toList();
            submissions = dispatcher.storeAndClaim(() -> waits.register(fanOut.submitAll(tasks)));
        } catch (RuntimeException e) {
            waits.cancel();
            log.warn("Storing {} submissions together failed ({}); storing them one by one", batch.size(),
                    e.toString());
            batch.forEach(this::commitAlone);
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            batch.get(i).stored().complete(new Stored(submissions.get(i), waits.outcome(i)));
        }
    }

    private void commitAlone(Pending submission) {
        UUID id = UUID.randomUUID();
        Duration wait = submission.waitFor();
        // before the task is stored: the statement that stores it also commits it
        CompletableFuture<Optional<TaskView>> outcome = wait == null ? null
                : waiters.finalOrTimeout(id, wait, () -> false);
        try {
            TaskLifecycle.Submission stored = dispatcher.submitAndClaim(id, submission.task());
            if (!stored.created() && outcome != null) {
                // the earlier task with the same idempotency key is answered as it is
                outcome.cancel(false);
                outcome = null;
            }
            submission.stored().complete(new Stored(stored, outcome));
        } catch (RuntimeException e) {
            if (outcome != null) {
                outcome.cancel(false);
            }
            submission.stored().completeExceptionally(e);
        }
    }

    /**
     * The waiters of one batch, registered by the transaction that stores it, before its commit. A store that runs
     * again (its transaction rolled back, or the claim in it failed) first cancels what the earlier run registered:
     * those tasks were never stored.
     */
    private final class Waits {
        private final List<Pending> batch;
        private List<@Nullable CompletableFuture<Optional<TaskView>>> outcomes = List.of();

        Waits(List<Pending> batch) {
            this.batch = batch;
        }

        List<TaskLifecycle.Submission> register(List<TaskLifecycle.Submission> submissions) {
            cancel();
            List<@Nullable CompletableFuture<Optional<TaskView>>> registered = new ArrayList<>(batch.size());
            for (int i = 0; i < batch.size(); i++) {
                Duration wait = batch.get(i).waitFor();
                TaskLifecycle.Submission submission = submissions.get(i);
                registered.add(wait == null || !submission.created() ? null
                        // the task is not committed yet, so it has no outcome yet: nothing to look up
                        : waiters.finalOrTimeout(submission.task().id(), wait, () -> false));
            }
            outcomes = registered;
            return submissions;
        }

        @Nullable CompletableFuture<Optional<TaskView>> outcome(int i) {
            return outcomes.get(i);
        }

        void cancel() {
            outcomes.forEach(outcome -> {
                if (outcome != null) {
                    outcome.cancel(false);
                }
            });
            outcomes = List.of();
        }
    }
}
