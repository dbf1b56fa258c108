package dev.taskmesh.task.intake;

import dev.taskmesh.task.dispatch.Dispatcher;
import dev.taskmesh.task.lifecycle.FanOut;
import dev.taskmesh.task.lifecycle.NewTask;
import dev.taskmesh.task.lifecycle.TaskLifecycle;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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

    private record Pending(NewTask task, CompletableFuture<TaskLifecycle.Submission> stored) {
    }

    private final FanOut fanOut;
    private final TaskLifecycle lifecycle;
    private final Dispatcher dispatcher;
    private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>(MAX_PENDING);
    /** Submissions taken from the queue whose commit is under way. */
    private final AtomicInteger committing = new AtomicInteger();
    private final DistributionSummary batchSizes;
    private volatile boolean running;
    private @Nullable Thread loop;

    GroupCommit(FanOut fanOut, TaskLifecycle lifecycle, Dispatcher dispatcher, MeterRegistry meters) {
        this.fanOut = fanOut;
        this.lifecycle = lifecycle;
        this.dispatcher = dispatcher;
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
     */
    CompletableFuture<TaskLifecycle.Submission> submit(NewTask task) {
        if (!running) {
            throw new IllegalStateException("The task-service is stopping; the task was not stored");
        }
        CompletableFuture<TaskLifecycle.Submission> stored = new CompletableFuture<>();
        try {
            queue.put(new Pending(task, stored));
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
        List<TaskLifecycle.Submission> submissions;
        try {
            List<NewTask> tasks = batch.stream().map(Pending::task).toList();
            submissions = dispatcher.storeAndClaim(() -> fanOut.submitAll(tasks));
        } catch (RuntimeException e) {
            log.warn("Storing {} submissions together failed ({}); storing them one by one", batch.size(),
                    e.toString());
            batch.forEach(this::commitAlone);
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            batch.get(i).stored().complete(submissions.get(i));
        }
    }

    private void commitAlone(Pending submission) {
        try {
            submission.stored().complete(dispatcher.storeAndClaim(() -> lifecycle.submit(submission.task())));
        } catch (RuntimeException e) {
            submission.stored().completeExceptionally(e);
        }
    }
}
