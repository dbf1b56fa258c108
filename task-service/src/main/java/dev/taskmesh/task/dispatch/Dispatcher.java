package dev.taskmesh.task.dispatch;

import dev.taskmesh.contract.agent.RunningAttempt;
import dev.taskmesh.contract.agent.TaskAssignment;
import dev.taskmesh.contract.task.TaskStatus;
import dev.taskmesh.task.lifecycle.AgentOffer;
import dev.taskmesh.task.lifecycle.NewTask;
import dev.taskmesh.task.lifecycle.QueueLook;
import dev.taskmesh.task.lifecycle.StoredAndClaimed;
import dev.taskmesh.task.lifecycle.TaskChanged;
import dev.taskmesh.task.lifecycle.TaskLifecycle;
import dev.taskmesh.task.lifecycle.TaskLifecycle.Completed;
import dev.taskmesh.task.lifecycle.TaskLifecycle.Submission;
import dev.taskmesh.task.lifecycle.TaskRow;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.event.TransactionalEventListener;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * One loop that gives queued tasks to the connected agents with free slots. It wakes when a task is queued
 * (submitted or requeued, after the commit), when an agent reports free slots or finishes a task, and at least every
 * {@code taskmesh.dispatch.sweep-interval} to catch anything a signal missed. Each agent's tasks are claimed in one
 * statement that skips rows other instances hold, then pushed to the agent. The loop has a platform thread of its
 * own: it waits on the database most of the time, and on a virtual thread every reply of the database would be one
 * more hand-off through the scheduler, on the path of every task.
 *
 * <p>Tasks can also be claimed in the transaction that stores submissions ({@link #storeAndClaim}), or by the
 * thread that recorded completions, right after their commit ({@link #completeAndClaim}): a task submitted to an idle
 * agent then costs no transaction of its own, and neither it nor the next task of an agent that just finished one
 * waits for a hand-off to this loop. Claims of this instance are made one at a time (a lock around offer, claim and
 * push), so that an agent's free slots are never offered twice. A transaction's last claim carries its commit
 * ({@link TaskLifecycle#claimAllThenCommit}).
 */
@Component
public class Dispatcher implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);

    private final TaskLifecycle lifecycle;
    private final ConnectedAgents agents;
    private final AgentOutbox outbox;
    private final DispatchProperties properties;
    private final TransactionTemplate transactions;
    private final Counter claimedWithSubmissions;
    private final Counter claimedWithCompletions;
    private final Semaphore wakeups = new Semaphore(0);
    /** Held from the agents' offers until the claimed tasks are pushed: what one claim takes, the next sees taken. */
    private final ReentrantLock claiming = new ReentrantLock();
    /**
     * The thread committing a store with its claim: what it queued was claimable by the agents with free slots, so
     * its commit signals no round. Set and cleared under {@link #claiming}; a commit's listeners run on its thread.
     */
    private volatile @Nullable Thread committingWithoutRound;
    private final RateLimitedLog failures = new RateLimitedLog(log);
    private volatile boolean running;
    private @Nullable Thread loop;

    Dispatcher(TaskLifecycle lifecycle, ConnectedAgents agents, AgentOutbox outbox, DispatchProperties properties,
               PlatformTransactionManager transactionManager, MeterRegistry meters) {
        this.lifecycle = lifecycle;
        this.agents = agents;
        this.outbox = outbox;
        this.properties = properties;
        this.transactions = new TransactionTemplate(transactionManager);
        this.claimedWithSubmissions = claimedWith("submissions", meters);
        this.claimedWithCompletions = claimedWith("completions", meters);
    }

    /**
     * Runs {@code store} (which queues tasks) in a transaction and, when agents of this instance have free slots,
     * claims for them in the same transaction: a task submitted while an agent is idle is stored already assigned,
     * with one commit instead of two, and pushed by this thread right after the commit instead of by the loop. The
     * claim takes the best queued tasks as any dispatch round does, older ones included.
     *
     * <p>When the loop is claiming at that moment, or no agent has a free slot, only {@code store} runs, and the loop
     * dispatches the tasks after the commit, as it does for every queued task. When the claim fails, the transaction
     * is rolled back and {@code store} runs again on its own: a problem of dispatch never refuses a submission.
     */
    public <T> T storeAndClaim(Supplier<T> store) {
        return storeAndClaim(offers -> {
            T stored = store.get();
            // the last claim carries the commit of the stored tasks and the claims together
            return new StoredAndClaimed<>(stored,
                    claimOrFail(() -> lifecycle.claimAllThenCommit(offers, QueueLook.CLAIMABLE)));
        });
    }

    /**
     * {@link #storeAndClaim(Supplier)} for one submission, stored under {@code id}: its insert travels with the first
     * idle agent's claim and the transaction's commit ({@link TaskLifecycle#submitAndClaim}). A caller that waits for
     * the task registers under {@code id} before this is called. When the claim fails, the task is stored alone, under
     * the same id.
     */
    public Submission submitAndClaim(UUID id, NewTask task) {
        return storeAndClaim(offers -> offers.isEmpty()
                ? new StoredAndClaimed<>(lifecycle.submit(id, task), List.of())
                // the insert and the claim fail together; the insert is then tried alone
                : claimOrFail(() -> lifecycle.submitAndClaim(id, task, offers)));
    }

    /**
     * Runs {@code complete}, which records completions in transactions of its own, each committed by its last
     * statement, and so frees agents' slots; then claims the agents' next tasks in a transaction whose last claim
     * carries its commit ({@link TaskLifecycle#claimAllThenCommit}), offering the freed slots as free already and
     * starting from what {@code complete} learnt of the queue; and pushes what it claimed. Two round trips to the
     * database when a backlog drains, one when the queue is empty. The claim runs apart from the completions so that
     * a failed claim cannot undo them once committed: the loop then dispatches. The caller frees the slots
     * ({@link ConnectedAgents#released}) after this returns.
     */
    Completed completeAndClaim(Supplier<Completed> complete, Map<String, Integer> slotsBeingFreed) {
        return underClaimingLock(slotsBeingFreed, complete, offers -> {
            Completed completed;
            // tasks the completions queue again (retries) are claimable by the claim below: no round for them
            committingWithoutRound = Thread.currentThread();
            try {
                completed = complete.get();
            } finally {
                committingWithoutRound = null;
            }
            if (completed.queue() == QueueLook.EMPTY) {
                return completed;
            }
            List<List<TaskRow>> claimed;
            try {
                claimed = lifecycle.claimAllThenCommit(offers, completed.queue());
            } catch (RuntimeException e) {
                failures.warn("Claiming after completions failed ({}); the next round dispatches", e.toString());
                signal();
                return completed;
            }
            pushAll(offers, claimed);
            claimedWithCompletions.increment(claimed.stream().mapToInt(List::size).sum());
            return completed;
        });
    }

    /**
     * Runs {@code store} in a transaction with the agents' offers, when this instance has agents with free slots and
     * the loop is not claiming; otherwise with no offers, and the loop's next round dispatches what it stored.
     * When its claim fails ({@link ClaimFailed}), the transaction is rolled back and {@code store} runs again with no
     * offers.
     */
    private <T> T storeAndClaim(Function<List<AgentOffer>, StoredAndClaimed<T>> store) {
        Supplier<T> alone = () -> Objects.requireNonNull(transactions.execute(status -> store.apply(List.of())))
                .stored();
        return underClaimingLock(Map.of(), alone, offers -> {
            StoredAndClaimed<T> stored;
            try {
                stored = Objects.requireNonNull(transactions.execute(status -> {
                    StoredAndClaimed<T> result = store.apply(offers);
                    // every offered agent got its fill or nothing claimable was left for it: a round would find nothing
                    committingWithoutRound = Thread.currentThread();
                    return result;
                }));
            } catch (ClaimFailed e) {
                failures.warn("Claiming in a transaction that stores tasks failed ({}); storing them alone",
                        e.getCause().toString());
                return thenSignal(alone);
            } finally {
                committingWithoutRound = null;
            }
            pushAll(offers, stored.claims());
            claimedWithSubmissions.increment(stored.claims().stream().mapToInt(List::size).sum());
            return stored.stored();
        });
    }

    /**
     * Runs {@code claim} with the agents' offers ({@code slotsBeingFreed} counted as free already) under the lock
     * that makes this instance's claims one at a time, so that what it claims the next offers see taken. When the loop
     * holds that lock, or no agent has a free slot, runs {@code alone} instead and signals the loop, whose next round
     * dispatches what it stored or freed.
     */
    private <T> T underClaimingLock(Map<String, Integer> slotsBeingFreed, Supplier<T> alone,
                                    Function<List<AgentOffer>, T> claim) {
        if (!running || !claiming.tryLock()) {
            return thenSignal(alone);
        }
        try {
            List<AgentOffer> offers = agents.offers(slotsBeingFreed);
            return offers.isEmpty() ? thenSignal(alone) : claim.apply(offers);
        } finally {
            claiming.unlock();
        }
    }

    private <T> T thenSignal(Supplier<T> work) {
        T result = work.get();
        signal();
        return result;
    }

    private static <C> C claimOrFail(Supplier<C> claim) {
        try {
            return claim.get();
        } catch (RuntimeException e) {
            throw new ClaimFailed(e);
        }
    }

    private static Counter claimedWith(String store, MeterRegistry meters) {
        return Counter.builder("taskmesh.dispatch.claimed.with")
                .description("Tasks claimed in the transaction that stored submissions or completions, not by a round")
                .baseUnit("tasks")
                .tag("store", store)
                .register(meters);
    }

    /** A claim failed inside a transaction that also stores: roll back, then store alone. */
    private static final class ClaimFailed extends RuntimeException {
        ClaimFailed(RuntimeException cause) {
            super(cause);
        }
    }

    /** Asks for a dispatch round soon; signals that arrive during a round cause one more round, not many. */
    void signal() {
        if (wakeups.availablePermits() == 0) {
            wakeups.release();
        }
    }

    @TransactionalEventListener
    void onTaskChanged(TaskChanged change) {
        if (change.task().status() == TaskStatus.QUEUED && change.statusChanged()
                && committingWithoutRound != Thread.currentThread()) {
            signal();
        }
    }

    @Override
    public void start() {
        running = true;
        loop = Thread.ofPlatform().name("task-dispatcher").daemon().start(this::run);
    }

    @Override
    public void stop() {
        running = false;
        Thread thread = loop;
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    private void run() {
        while (running) {
            try {
                wakeups.tryAcquire(properties.sweepInterval().toMillis(), TimeUnit.MILLISECONDS);
                wakeups.drainPermits();
                if (running) {
                    dispatchRound();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                failures.warn("Dispatch round failed: {}", e.toString());
            }
        }
    }

    /**
     * Claims and pushes tasks for every agent with free slots, all claims in one transaction; when that fails, each
     * agent's claim is tried on its own, so that one agent's problem does not hold back the others.
     */
    void dispatchRound() {
        claiming.lock();
        try {
            List<AgentOffer> offers = agents.offers();
            if (offers.isEmpty() || !running) {
                return;
            }
            List<List<TaskRow>> claimed;
            try {
                claimed = lifecycle.claimAllThenCommit(offers, QueueLook.UNKNOWN);
            } catch (RuntimeException e) {
                failures.warn("Dispatch round failed ({}); claiming for each worker alone", e.toString());
                dispatchOneByOne(offers);
                return;
            }
            pushAll(offers, claimed);
        } finally {
            claiming.unlock();
        }
    }

    private void pushAll(List<AgentOffer> offers, List<List<TaskRow>> claimed) {
        for (int i = 0; i < offers.size(); i++) {
            if (!claimed.get(i).isEmpty()) {
                push(offers.get(i).workerId(), claimed.get(i));
            }
        }
    }

    private void dispatchOneByOne(List<AgentOffer> offers) {
        for (AgentOffer offer : offers) {
            if (!running) {
                return;
            }
            try {
                List<TaskRow> claimed = lifecycle.claim(offer);
                if (!claimed.isEmpty()) {
                    push(offer.workerId(), claimed);
                }
            } catch (RuntimeException e) {
                failures.warn("Cannot dispatch to worker {}: {}", offer.workerId(), e.toString());
            }
        }
    }

    private void push(String workerId, List<TaskRow> claimed) {
        Instant now = Instant.now();
        agents.assigned(workerId, claimed.stream().map(t -> new RunningAttempt(t.id(), t.attempt())).toList(), now);
        // if the agent is gone meanwhile, the lease sweep or its reconnect requeues the tasks
        outbox.assign(workerId, claimed.stream().map(Dispatcher::assignment).toList());
        log.debug("Assigned {} task(s) to worker {}", claimed.size(), workerId);
    }

    private static TaskAssignment assignment(TaskRow task) {
        Instant assignedAt = task.assignedAt() == null ? Instant.now() : task.assignedAt();
        return new TaskAssignment(task.id(), task.attempt(), task.type(), task.input(), task.timeoutSeconds(),
                task.owner(), assignedAt, labels(task.requirements().labels()));
    }

    /** Labels such as {@code region=eu} become {@code region -> eu}; a bare label {@code ssd} becomes {@code ssd -> true}. */
    private static Map<String, String> labels(List<String> labels) {
        Map<String, String> map = new LinkedHashMap<>();
        for (String label : labels) {
            int eq = label.indexOf('=');
            if (eq > 0) {
                map.put(label.substring(0, eq), label.substring(eq + 1));
            } else {
                map.put(label, "true");
            }
        }
        return map;
    }
}
