package dev.taskmesh.task.dispatch;

import dev.taskmesh.contract.agent.AgentDestinations;
import dev.taskmesh.contract.agent.CompletionReceipt;
import dev.taskmesh.contract.agent.ProtocolError;
import dev.taskmesh.contract.agent.RunningAttempt;
import dev.taskmesh.contract.agent.TaskCompletion;
import dev.taskmesh.task.lifecycle.TaskLifecycle;
import dev.taskmesh.task.lifecycle.TaskLifecycle.Completed;
import dev.taskmesh.task.lifecycle.TaskLifecycle.Completing;
import dev.taskmesh.task.lifecycle.TaskLifecycle.FinishedPlainly;
import dev.taskmesh.task.lifecycle.Verdict;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.messaging.simp.SimpMessageSendingOperations;
import org.springframework.stereotype.Component;

/**
 * Group commit of the agents' completions. The STOMP threads only queue a completion; one loop (on a platform thread
 * of its own, like the {@link Dispatcher}'s) takes whatever has queued meanwhile (up to {@value #MAX_BATCH}) and
 * records it, in the common case with one statement that also commits ({@link TaskLifecycle#finishPlainlyOver});
 * right after, the same thread claims the next tasks for the agents whose slots it frees
 * ({@link Dispatcher#completeAndClaim}), then sends each {@link CompletionReceipt} — only after the commit, so a
 * receipt always means the outcome is stored; an agent that speaks batches gets the receipts of one commit in one
 * frame. Under load the batches grow by themselves: while one transaction commits, the next batch gathers. When a
 * batch fails, its completions are recorded one by one, so that one bad completion does not hold back the others
 * (those already committed are then answered as repeats); one that still fails is answered with a
 * {@link ProtocolError} and no receipt (the agent keeps it and sends it again after a reconnect, as after any lost
 * receipt). Completions still queued when the service stops are answered by no one, and sent again by their agents
 * when they reconnect.
 */
@Component
class CompletionCommitter implements SmartLifecycle {

    /** Most completions recorded in one transaction. */
    static final int MAX_BATCH = 256;

    private static final Logger log = LoggerFactory.getLogger(CompletionCommitter.class);

    private final TaskLifecycle lifecycle;
    private final ConnectedAgents agents;
    private final Dispatcher dispatcher;
    private final SimpMessageSendingOperations messaging;
    private final AgentOutbox outbox;
    private final BlockingQueue<Completing> queue = new LinkedBlockingQueue<>();
    private final RateLimitedLog failures = new RateLimitedLog(log);
    private volatile boolean running;
    private @Nullable Thread loop;

    CompletionCommitter(TaskLifecycle lifecycle, ConnectedAgents agents, Dispatcher dispatcher,
                        SimpMessageSendingOperations messaging, AgentOutbox outbox) {
        this.lifecycle = lifecycle;
        this.agents = agents;
        this.dispatcher = dispatcher;
        this.messaging = messaging;
        this.outbox = outbox;
    }

    /** Queues a completion; its receipt follows the commit. */
    void add(String workerId, TaskCompletion completion) {
        queue.add(new Completing(workerId, completion));
    }

    @Override
    public void start() {
        running = true;
        loop = Thread.ofPlatform().name("completion-committer").daemon().start(this::run);
    }

    @Override
    public void stop() {
        running = false;
        Thread thread = loop;
        if (thread != null) {
            try {
                // the loop ends after its batch; an interrupt would close the database connection it may be using
                if (!thread.join(Duration.ofSeconds(5))) {
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

    /**
     * Stops after the web server (a lower phase stops later), so that completions that arrive while it shuts down
     * gracefully are still recorded and answered.
     */
    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE - 4096;
    }

    private void run() {
        ArrayDeque<Completing> deferred = new ArrayDeque<>();
        while (running) {
            try {
                List<Completing> batch = nextBatch(deferred);
                if (!batch.isEmpty()) {
                    record(batch);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                failures.warn("Recording completions failed: {}", e.toString());
            }
        }
    }

    /**
     * Completions deferred from the last batch first, then what is queued, up to {@link #MAX_BATCH}; a second
     * completion of a task already in the batch (an agent that sent it again) waits for the next one.
     */
    private List<Completing> nextBatch(ArrayDeque<Completing> deferred) throws InterruptedException {
        List<Completing> candidates = new ArrayList<>(deferred);
        deferred.clear();
        if (candidates.isEmpty()) {
            Completing first = queue.poll(1, TimeUnit.SECONDS);
            if (first == null) {
                return List.of();
            }
            candidates.add(first);
        }
        queue.drainTo(candidates, MAX_BATCH - candidates.size());
        List<Completing> batch = new ArrayList<>(candidates.size());
        Set<UUID> tasks = new HashSet<>();
        for (Completing c : candidates) {
            if (tasks.add(c.completion().taskId())) {
                batch.add(c);
            } else {
                deferred.add(c);
            }
        }
        return batch;
    }

    private void record(List<Completing> batch) {
        Map<String, Integer> slotsBeingFreed = new HashMap<>();
        batch.forEach(c -> slotsBeingFreed.merge(c.workerId(), 1, Integer::sum));
        List<Verdict> verdicts;
        try {
            // the agents get their next tasks right after the commit, before the receipts
            verdicts = dispatcher.completeAndClaim(() -> complete(batch), slotsBeingFreed).verdicts();
        } catch (RuntimeException e) {
            failures.warn("Recording {} completions together failed ({}); recording them one by one", batch.size(),
                    e.toString());
            batch.forEach(this::recordAlone);
            dispatcher.signal();
            return;
        }
        Map<String, List<CompletionReceipt>> receipts = new LinkedHashMap<>();
        for (int i = 0; i < batch.size(); i++) {
            Completing c = batch.get(i);
            receipts.computeIfAbsent(c.workerId(), w -> new ArrayList<>()).add(released(c, verdicts.get(i)));
        }
        receipts.forEach(outbox::receipts);
    }

    /**
     * Records the batch: what plainly ends its attempt in one statement that also commits
     * ({@link TaskLifecycle#finishPlainlyOver}), anything else in a transaction of its own after it
     * ({@link TaskLifecycle#completeAll}: retries, repeats, stale attempts).
     */
    private Completed complete(List<Completing> batch) {
        FinishedPlainly finished = lifecycle.finishPlainlyOver(batch);
        List<Integer> undecided = finished.undecided();
        if (undecided.isEmpty()) {
            return new Completed(finished.verdicts().stream().map(Optional::orElseThrow).toList(), finished.queue());
        }
        Completed rest = lifecycle.completeAll(undecided.stream().map(batch::get).toList());
        List<Verdict> verdicts = new ArrayList<>(batch.size());
        Iterator<Verdict> decided = rest.verdicts().iterator();
        finished.verdicts().forEach(verdict -> verdicts.add(verdict.orElseGet(decided::next)));
        // the later look: the first was made before what the rest may have queued again
        return new Completed(verdicts, rest.queue());
    }

    private void recordAlone(Completing c) {
        Verdict verdict;
        try {
            verdict = lifecycle.complete(c.workerId(), c.completion());
        } catch (RuntimeException e) {
            log.warn("Cannot record the completion of task {} attempt {}: {}", c.completion().taskId(),
                    c.completion().attempt(), e.toString());
            messaging.convertAndSendToUser(c.workerId(), AgentDestinations.ERRORS, new ProtocolError(
                    AgentMessages.SERVER_ERROR, "the server could not handle this message; send it again later",
                    c.completion().taskId(), c.completion().attempt()));
            return;
        }
        outbox.receipts(c.workerId(), List.of(released(c, verdict)));
    }

    /** The agent's slot is free again; answers its receipt. */
    private CompletionReceipt released(Completing c, Verdict verdict) {
        TaskCompletion completion = c.completion();
        agents.released(c.workerId(), new RunningAttempt(completion.taskId(), completion.attempt()));
        return new CompletionReceipt(completion.taskId(), completion.attempt(), verdict.accepted(), verdict.reason());
    }
}
