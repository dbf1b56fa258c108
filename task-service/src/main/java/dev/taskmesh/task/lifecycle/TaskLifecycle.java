package dev.taskmesh.task.lifecycle;

import dev.taskmesh.contract.agent.Outcome;
import dev.taskmesh.contract.agent.RunningAttempt;
import dev.taskmesh.contract.agent.TaskCancellation;
import dev.taskmesh.contract.agent.TaskCompletion;
import dev.taskmesh.contract.agent.TaskProgress;
import dev.taskmesh.contract.agent.TaskStarted;
import dev.taskmesh.contract.task.TaskStatus;
import dev.taskmesh.task.lifecycle.TaskStore.Then;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.jspecify.annotations.Nullable;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.JsonNode;

/**
 * Every change of a task's state, each in one transaction. Changes that come from agents are fenced: the sender
 * must be the worker of the task's current attempt, name that attempt, and the status must allow the change
 * ({@link TaskStatus#canMoveTo}). Each change is published as a {@link TaskChanged} event.
 */
@Service
public class TaskLifecycle {

    private final TaskStore store;
    private final FanOutStore fanOut;
    private final RunTimeStats runTimes;
    private final ApplicationEventPublisher events;
    private final LifecycleProperties properties;
    private final RetryBackoff backoff;
    private final Comparator<TaskRow> dispatchOrder;
    /**
     * The last claim got all it asked for, so the queue likely holds more: the next claim goes ahead without a look
     * at the queue first. Claims of this instance are made one at a time (the dispatcher's lock).
     */
    private volatile boolean lastClaimFilled;

    TaskLifecycle(TaskStore store, FanOutStore fanOut, RunTimeStats runTimes, ApplicationEventPublisher events,
                  LifecycleProperties properties) {
        this.store = store;
        this.fanOut = fanOut;
        this.runTimes = runTimes;
        this.events = events;
        this.properties = properties;
        this.backoff = RetryBackoff.of(properties);
        this.dispatchOrder = Comparator.comparing(task -> DispatchOrder.key(
                task.runAfter() == null ? task.queuedAt() : task.runAfter(), task.priority(),
                properties.agingInterval()));
    }

    /**
     * A stored submission.
     *
     * @param created false when the owner had already submitted a task with the same idempotency key, which is
     *                returned instead
     */
    public record Submission(TaskRow task, boolean created) {
    }

    /**
     * The result of a cancel request.
     *
     * @param cancelled false when the task already had its outcome, unchanged
     */
    public record Cancellation(TaskRow task, boolean cancelled) {
    }

    /** Stores a new QUEUED task, or finds the one the owner submitted before with the same idempotency key. */
    @Transactional
    public Submission submit(NewTask task) {
        return submit(UUID.randomUUID(), task);
    }

    /** {@link #submit(NewTask)} under {@code id}, which the caller chose (to wait for the task under it, say). */
    @Transactional
    public Submission submit(UUID id, NewTask task) {
        Instant now = now();
        return submitted(task, store.insert(id, task, now, dispatchAt(task, now)));
    }

    private Instant dispatchAt(NewTask task, Instant now) {
        return DispatchOrder.key(now, task.priority(), properties.agingInterval());
    }

    private Submission submitted(NewTask task, Optional<TaskRow> inserted) {
        if (inserted.isPresent()) {
            events.publishEvent(new TaskChanged(inserted.get(), null));
            return new Submission(inserted.get(), true);
        }
        // the unique index turned a second task with this key into a no-op: answer with the first one
        String key = Objects.requireNonNull(task.idempotencyKey());
        TaskRow existing = store.findByIdempotencyKey(task.owner(), key)
                .orElseThrow(() -> new IllegalStateException("Conflicting task vanished for key " + key));
        return new Submission(existing, false);
    }

    /**
     * {@link #submit(UUID, NewTask)}, then {@link #claimAll} for {@code offers} (which knows the queue holds a task),
     * the first agent's claim in the insert's statement ({@link TaskStore#insertAndClaim}): a task submitted while an
     * agent idles is written once, already assigned, in one round trip to the database, which also carries the
     * transaction's commit ({@link Then#COMMIT}; with more agents, the last one's claim carries it). So nothing may
     * follow in the transaction, and a caller that waits for the task registers under {@code id} before: the task may
     * be committed before this returns. The task is answered and published as submitted (QUEUED), then as assigned,
     * as if claimed after its insert. With an owner limit the claim needs its lock first, and the insert and the claim
     * go one after the other.
     */
    @Transactional
    public StoredAndClaimed<Submission> submitAndClaim(UUID id, NewTask task, List<AgentOffer> offers) {
        if (offers.isEmpty() || properties.maxRunningPerOwner() > 0 || !claimsAnything(offers.getFirst())) {
            Submission submission = submit(id, task);
            return new StoredAndClaimed<>(submission, claimAll(offers, QueueLook.CLAIMABLE, Then.COMMIT));
        }
        AgentOffer first = offers.getFirst();
        Instant now = now();
        TaskStore.InsertedAndClaimed sent = store.insertAndClaim(id, task, now, dispatchAt(task, now), first,
                offers.size() == 1 ? Then.COMMIT : Then.MORE);
        // with the idempotency key taken, the earlier task is read, after the commit
        Submission submission = submitted(task, sent.inserted().map(TaskLifecycle::asSubmitted));
        List<List<TaskRow>> claims = new ArrayList<>(offers.size());
        claims.add(claimed(first, sent.claimed()));
        // as claimAll goes on after its first claim: without a look when that claim was filled
        claims.addAll(claimAll(offers.subList(1, offers.size()), QueueLook.UNKNOWN, Then.COMMIT));
        return new StoredAndClaimed<>(submission, claims);
    }

    /** The task as its insert without a claim would have stored it: QUEUED, at attempt 0, with no worker. */
    private static TaskRow asSubmitted(TaskRow task) {
        if (task.status() == TaskStatus.QUEUED) {
            return task;
        }
        return new TaskRow(task.id(), task.type(), TaskStatus.QUEUED, task.owner(), task.ownerName(), task.input(),
                task.requirements(), task.priority(), task.timeoutSeconds(), task.maxAttempts(), task.idempotencyKey(),
                task.targetWorkers(), 0, null, null, null, task.createdAt(), task.queuedAt(), null, null, null, 0,
                task.runAfter(), task.queueTimeoutSeconds(), task.retryBackoffSeconds(), task.retryMaxBackoffSeconds(),
                null, task.parentId());
    }

    /**
     * Cancels a task that has no outcome yet, and every descendant (children, their children, …) that has none. A
     * task an agent holds is CANCELLED at once, and the agent is told to stop it ({@link CancellationRequested}).
     */
    @Transactional
    public Optional<Cancellation> cancel(UUID taskId, String cancelledBy) {
        Optional<TaskRow> found = store.lock(taskId);
        if (found.isEmpty()) {
            return Optional.empty();
        }
        TaskRow before = found.get();
        if (!before.status().canMoveTo(TaskStatus.CANCELLED)) {
            return Optional.of(new Cancellation(before, false));
        }
        Instant now = now();
        String reason = "cancelled by " + cancelledBy;
        TaskRow after = cancelLocked(before, reason, now);
        // children (and theirs) go with their parent: a group's, a broadcast's, those a running task submitted
        String childReason = reason + " (with its parent " + taskId + ")";
        for (TaskRow child : fanOut.lockOpenDescendants(taskId)) {
            cancelLocked(child, childReason, now);
        }
        return Optional.of(new Cancellation(after, true));
    }

    private TaskRow cancelLocked(TaskRow before, String reason, Instant now) {
        UUID taskId = before.id();
        TaskRow after = store.cancel(taskId, reason, now)
                .orElseThrow(() -> new IllegalStateException("Locked task " + taskId + " changed"));
        if (before.status().isActive() && before.workerId() != null) {
            store.finishAttemptRow(taskId, before.attempt(), AttemptStatus.CANCELLED, reason, now,
                    AttemptStatus.RUNNING);
            events.publishEvent(new CancellationRequested(before.workerId(),
                    new TaskCancellation(taskId, before.attempt(), reason)));
        }
        events.publishEvent(new TaskChanged(after, before.status()));
        return after;
    }

    /**
     * Assigns up to {@code offer.limit()} matching queued tasks to the agent, best first ({@link DispatchOrder}),
     * each as a new attempt; nothing to a drained worker, no task still in its retry backoff, and no task of an
     * owner at {@code taskmesh.tasks.max-running-per-owner}.
     */
    @Transactional
    public List<TaskRow> claim(AgentOffer offer) {
        return claim(offer, Then.MORE);
    }

    private List<TaskRow> claim(AgentOffer offer, Then then) {
        if (!claimsAnything(offer)) {
            return List.of();
        }
        int ownerLimit = properties.maxRunningPerOwner();
        if (ownerLimit > 0) {
            store.lockOwnerLimitedClaims();
        }
        return claimed(offer, store.claim(offer, now(), ownerLimit, then));
    }

    private static boolean claimsAnything(AgentOffer offer) {
        return offer.limit() > 0 && !offer.taskTypes().isEmpty();
    }

    /** The tasks a claim for {@code offer} returned, in dispatch order, each published as changed. */
    private List<TaskRow> claimed(AgentOffer offer, List<TaskRow> rows) {
        lastClaimFilled = rows.size() == offer.limit();
        if (rows.isEmpty()) {
            return List.of();
        }
        List<TaskRow> claimed = new ArrayList<>(rows);
        claimed.sort(dispatchOrder);
        claimed.forEach(task -> events.publishEvent(new TaskChanged(task, TaskStatus.QUEUED)));
        return List.copyOf(claimed);
    }

    /**
     * {@link #claim} for several agents in one transaction (one commit for a whole dispatch round). Once the queue
     * holds nothing claimable the remaining agents get nothing without a claim of their own: a round offers every
     * agent with free slots, and with thousands of idle agents a claim each was thousands of statements for an empty
     * queue. The queue is looked at again only after a claim that came back short, and only when other agents are
     * still to be offered something.
     *
     * <p>The first agent's claim also goes ahead without that look when the last claim got all it asked for: while
     * a backlog drains, each commit of completions then claims the agents' next tasks with one statement instead of
     * two.
     *
     * @param known what this transaction already knows of the queue: tasks it has just queued (the first agent's
     *              claim goes ahead without a look, which would find them: one statement less for a task submitted
     *              alone), or what its own look found ({@link #completeAll})
     * @return what each agent got, in the order of the offers (empty lists included)
     */
    @Transactional
    public List<List<TaskRow>> claimAll(List<AgentOffer> offers, QueueLook known) {
        return claimAll(offers, known, Then.MORE);
    }

    /**
     * {@link #claimAll(List, QueueLook)} as the last statements of the transaction: the last agent's claim carries
     * the transaction's {@code COMMIT} ({@link Then#COMMIT}), so a transaction that claims costs no round trip of its
     * own for its commit. Nothing may follow in the transaction; in one that stored tasks before, the commit is theirs
     * too.
     */
    @Transactional
    public List<List<TaskRow>> claimAllThenCommit(List<AgentOffer> offers, QueueLook known) {
        return claimAll(offers, known, Then.COMMIT);
    }

    private List<List<TaskRow>> claimAll(List<AgentOffer> offers, QueueLook known, Then last) {
        if (offers.isEmpty()) {
            return List.of();
        }
        List<List<TaskRow>> claimed = new ArrayList<>(offers.size());
        boolean claimable = switch (known) {
            case CLAIMABLE -> true;
            case EMPTY -> false;
            case UNKNOWN -> lastClaimFilled || store.anyClaimable(now());
        };
        for (int i = 0; i < offers.size(); i++) {
            AgentOffer offer = offers.get(i);
            List<TaskRow> tasks = claimable ? claim(offer, i == offers.size() - 1 ? last : Then.MORE) : List.of();
            claimed.add(tasks);
            if (claimable && tasks.size() < offer.limit() && i < offers.size() - 1) {
                claimable = store.anyClaimable(now());
            }
        }
        return claimed;
    }

    /** The agent began running an attempt: ASSIGNED to RUNNING. */
    @Transactional
    public Verdict start(String workerId, TaskStarted started) {
        Instant now = now();
        Optional<TaskRow> running = store.markRunning(started.taskId(), started.attempt(), workerId, now);
        if (running.isPresent()) {
            events.publishEvent(new TaskChanged(running.get(), TaskStatus.ASSIGNED));
            return Verdict.accept();
        }
        TaskRow task = store.find(started.taskId()).orElse(null);
        if (task != null && task.isHeldBy(workerId, started.attempt()) && task.status() == TaskStatus.RUNNING) {
            return Verdict.acceptRepeated("already running");
        }
        return stale(workerId, started.taskId(), started.attempt(), task, now);
    }

    /** Stores the progress of the current attempt; a new stage closes the previous step. */
    @Transactional
    public Verdict progress(String workerId, TaskProgress progress) {
        TaskRow task = store.lock(progress.taskId()).orElse(null);
        if (task == null || !task.isHeldBy(workerId, progress.attempt()) || !task.status().isActive()) {
            return stale(workerId, progress.taskId(), progress.attempt(), task, now());
        }
        TaskRow saved = store.saveProgress(task, Progress.next(task.progress(), progress))
                .orElseThrow(() -> new IllegalStateException("Locked task " + task.id() + " changed"));
        events.publishEvent(new TaskChanged(saved, task.status()));
        return Verdict.accept();
    }

    /** Whether the attempt is the current, active attempt of this worker (for messages that change nothing). */
    @Transactional(readOnly = true)
    public Verdict checkCurrent(String workerId, UUID taskId, int attempt) {
        TaskRow task = store.find(taskId).orElse(null);
        if (task == null || !task.isHeldBy(workerId, attempt) || !task.status().isActive()) {
            return Verdict.refuse(staleReason(workerId, taskId, attempt, task));
        }
        return Verdict.accept();
    }

    /**
     * Records how an attempt ended. Exactly one completion of the current attempt wins; a repeat of the recorded one
     * (the agent lost the receipt) is accepted again without changing anything.
     */
    @Transactional
    public Verdict complete(String workerId, TaskCompletion completion) {
        Instant now = now();
        TaskRow task = store.lock(completion.taskId()).orElse(null);
        Map<String, List<Duration>> runTimes = new HashMap<>();
        Verdict verdict = completeLocked(workerId, completion, task, now, runTimes);
        this.runTimes.recordAll(runTimes);
        return verdict;
    }

    /** A completion an agent sent, with the sending worker. */
    public record Completing(String workerId, TaskCompletion completion) {
    }

    /**
     * What {@link #completeAll} did.
     *
     * @param verdicts one per completion, in the order given
     * @param queue    what the transaction learnt of the queue after its writes, for the claim that may follow
     */
    public record Completed(List<Verdict> verdicts, QueueLook queue) {
    }

    /**
     * Records many completions in one transaction (group commit), each with the same rules as {@link #complete}. The
     * common case (the sender's current attempt ends in a final status) is written for all of them by the statement
     * that locks their rows ({@link TaskStore#finishHeld}); everything else (retries, repeats, stale attempts) is
     * decided on the locked rows, one by one. Completions of the same task must not appear twice in one call.
     *
     * <p>Unless the last claim got all it asked for (the next claim then goes ahead anyway), the finish also looks at
     * the queue, in its round trip, for the claim that follows in this transaction.
     */
    @Transactional
    public Completed completeAll(List<Completing> completions) {
        Instant now = now();
        TaskStore.HeldFinishes held = store.finishHeld(completions.stream().map(TaskLifecycle::heldFinish).toList(),
                now, !lastClaimFilled, Then.MORE);
        Map<String, List<Duration>> runTimes = new HashMap<>();
        Verdict[] verdicts = new Verdict[completions.size()];
        boolean decidedAlone = false;
        for (int i = 0; i < completions.size(); i++) {
            Completing c = completions.get(i);
            TaskCompletion completion = c.completion();
            TaskStore.Ended ended = held.ended().get(completion.taskId());
            if (ended != null) {
                verdicts[i] = ended(ended, completion, now, runTimes);
            } else {
                verdicts[i] = completeLocked(c.workerId(), completion, held.locked().get(completion.taskId()), now,
                        runTimes);
                decidedAlone = true;
            }
        }
        this.runTimes.recordAll(runTimes);
        // a completion decided alone may have queued its task again (a retry), after the look
        return new Completed(List.of(verdicts), decidedAlone ? QueueLook.UNKNOWN : held.queue());
    }

    /**
     * What {@link #finishPlainlyOver} did.
     *
     * @param verdicts one per completion, in the order given; empty for a completion it left to {@link #completeAll}
     * @param queue    what the transaction learnt of the queue after its writes, for the claim that may follow
     */
    public record FinishedPlainly(List<Optional<Verdict>> verdicts, QueueLook queue) {

        public FinishedPlainly {
            verdicts = List.copyOf(verdicts);
        }

        /** The completions it left to {@link #completeAll}: not plainly over, or not sent by the attempt's holder. */
        public List<Integer> undecided() {
            return IntStream.range(0, verdicts.size()).filter(i -> verdicts.get(i).isEmpty()).boxed().toList();
        }
    }

    /**
     * The common case of {@link #completeAll} in one round trip to the database: the completions that plainly end
     * the sender's current attempt are recorded, with the look at the queue, by one statement that also commits the
     * transaction ({@link Then#COMMIT}). The others are only answered as undecided, for {@link #completeAll} to
     * record in a transaction of its own (they were locked by the statement, and no longer are); the look then says
     * nothing about what those may queue. Nothing may follow in this transaction.
     */
    @Transactional
    public FinishedPlainly finishPlainlyOver(List<Completing> completions) {
        Instant now = now();
        TaskStore.HeldFinishes held = store.finishHeld(completions.stream().map(TaskLifecycle::heldFinish).toList(),
                now, !lastClaimFilled, Then.COMMIT);
        Map<String, List<Duration>> runTimes = new HashMap<>();
        List<Optional<Verdict>> verdicts = new ArrayList<>(completions.size());
        for (Completing c : completions) {
            TaskStore.Ended ended = held.ended().get(c.completion().taskId());
            verdicts.add(Optional.ofNullable(ended).map(e -> ended(e, c.completion(), now, runTimes)));
        }
        this.runTimes.recordAll(runTimes);
        return new FinishedPlainly(verdicts, held.queue());
    }

    /** A completion whose attempt {@link TaskStore#finishHeld} ended: its run time noted, its change published. */
    private Verdict ended(TaskStore.Ended ended, TaskCompletion completion, Instant now,
                          Map<String, List<Duration>> runTimes) {
        recordRunTime(ended.task(), null, completion, now, runTimes);
        events.publishEvent(new TaskChanged(ended.task(), ended.before(), ended.attemptsIfLeaf()));
        return Verdict.accept();
    }

    /** The completion as the finish of a held attempt, if the store finds it plainly over. */
    private static TaskStore.HeldFinish heldFinish(Completing c) {
        TaskCompletion completion = c.completion();
        Instant reportedStart = completion.startedAt() == null ? null
                : completion.startedAt().truncatedTo(ChronoUnit.MICROS);
        return switch (completion.outcome()) {
            case SUCCEEDED -> new TaskStore.HeldFinish(completion.taskId(), completion.attempt(), c.workerId(),
                    TaskStatus.SUCCEEDED, false, AttemptStatus.SUCCEEDED, null, reportedStart, completion.output());
            case FAILED -> new TaskStore.HeldFinish(completion.taskId(), completion.attempt(), c.workerId(),
                    TaskStatus.FAILED, completion.retryable(), AttemptStatus.FAILED, failure(completion),
                    reportedStart, null);
            case CANCELLED -> new TaskStore.HeldFinish(completion.taskId(), completion.attempt(), c.workerId(),
                    TaskStatus.CANCELLED, false, AttemptStatus.CANCELLED, agentCancelled(completion), reportedStart,
                    null);
        };
    }

    private Verdict completeLocked(String workerId, TaskCompletion completion, @Nullable TaskRow task, Instant now,
                                   Map<String, List<Duration>> runTimes) {
        if (task == null) {
            return stale(workerId, completion.taskId(), completion.attempt(), null, now);
        }
        Optional<AttemptRow> attempt = store.findAttempt(task.id(), completion.attempt());
        if (attempt.isPresent() && attempt.get().workerId().equals(workerId)
                && attempt.get().status() == recordedAs(completion.outcome())) {
            return Verdict.acceptRepeated("already recorded");
        }
        if (!task.isHeldBy(workerId, completion.attempt()) || !task.status().isActive()) {
            return stale(workerId, task.id(), completion.attempt(), task, now);
        }
        Instant startedAt = reportedStart(task, completion, now);
        recordRunTime(task, startedAt, completion, now, runTimes);
        return switch (completion.outcome()) {
            case SUCCEEDED -> finish(task, TaskStatus.SUCCEEDED, AttemptStatus.SUCCEEDED, null, startedAt,
                    completion.output(), now);
            case FAILED -> {
                String error = failure(completion);
                boolean retry = completion.retryable() && task.attempt() < task.maxAttempts();
                yield finish(task, retry ? TaskStatus.QUEUED : TaskStatus.FAILED, AttemptStatus.FAILED, error,
                        startedAt, null, now);
            }
            case CANCELLED -> finish(task, TaskStatus.CANCELLED, AttemptStatus.CANCELLED, agentCancelled(completion),
                    startedAt, null, now);
        };
    }

    /**
     * The start an agent reported with the completion of an attempt whose start it never sent, held between the
     * assignment and now (the agent's clock may differ); null when a start is recorded or none was reported.
     */
    private static @Nullable Instant reportedStart(TaskRow task, TaskCompletion completion, Instant now) {
        Instant reported = completion.startedAt();
        if (task.startedAt() != null || reported == null) {
            return null;
        }
        Instant at = reported.truncatedTo(ChronoUnit.MICROS);
        if (task.assignedAt() != null && at.isBefore(task.assignedAt())) {
            at = task.assignedAt();
        }
        return at.isAfter(now) ? now : at;
    }

    private static void recordRunTime(TaskRow task, @Nullable Instant reportedStart, TaskCompletion completion,
                                      Instant now, Map<String, List<Duration>> runTimes) {
        if (completion.outcome() == Outcome.CANCELLED) {
            return;
        }
        Instant began = task.startedAt() != null ? task.startedAt()
                : reportedStart != null ? reportedStart : task.assignedAt();
        if (began != null && !now.isBefore(began)) {
            runTimes.computeIfAbsent(task.type(), type -> new ArrayList<>()).add(Duration.between(began, now));
        }
    }

    private static String agentCancelled(TaskCompletion completion) {
        return completion.error() == null ? "cancelled by the agent" : "cancelled by the agent: " + completion.error();
    }

    /**
     * Active tasks whose worker holds no unexpired lease are lost: back to the queue while attempts remain, else
     * FAILED.
     *
     * @param reason what happened, e.g. {@code worker w1 lost the task (no heartbeat for 30s)}, by worker id
     */
    @Transactional
    public List<TaskRow> loseUnleased(int limit, Function<String, String> reason) {
        Instant now = now();
        List<TaskRow> lost = new ArrayList<>();
        for (TaskRow task : store.lockActiveWithoutLease(now, limit)) {
            String workerId = String.valueOf(task.workerId());
            lose(task, reason.apply(workerId), now).ifPresent(lost::add);
        }
        return lost;
    }

    /**
     * After a reconnect, the tasks the worker held before {@code connectedAt} but no longer runs are lost.
     *
     * @param running what the agent says it runs
     */
    @Transactional
    public List<TaskRow> reconcile(String workerId, Set<RunningAttempt> running, Instant connectedAt, String reason) {
        Instant now = now();
        List<TaskRow> lost = new ArrayList<>();
        for (TaskRow task : store.lockActiveOf(workerId, connectedAt)) {
            if (!running.contains(new RunningAttempt(task.id(), task.attempt()))) {
                lose(task, reason, now).ifPresent(lost::add);
            }
        }
        return lost;
    }

    private Optional<TaskRow> lose(TaskRow task, String reason, Instant now) {
        boolean retry = task.attempt() < task.maxAttempts();
        String taskError = retry ? reason
                : reason + " after " + task.attempt() + (task.attempt() == 1 ? " attempt" : " attempts");
        Optional<TaskRow> after = retry ? requeue(task, taskError, now)
                : store.finishAttempt(task, TaskStatus.FAILED, taskError, now);
        after.ifPresent(changed -> {
            store.finishAttemptRow(task.id(), task.attempt(), AttemptStatus.LOST, reason, now, AttemptStatus.RUNNING);
            events.publishEvent(new TaskChanged(changed, task.status()));
        });
        return after;
    }

    private Verdict finish(TaskRow task, TaskStatus next, AttemptStatus attemptStatus, @Nullable String error,
                           @Nullable Instant startedAt, @Nullable JsonNode output, Instant now) {
        if (!task.status().canMoveTo(next)) {
            return Verdict.refuse("task " + task.id() + " cannot move from " + task.status() + " to " + next);
        }
        Optional<TaskRow> after;
        if (next == TaskStatus.QUEUED) {
            after = requeue(task, error, now);
            after.ifPresent(changed -> store.finishAttemptRow(task.id(), task.attempt(), attemptStatus, error, now,
                    AttemptStatus.RUNNING, startedAt));
        } else {
            after = store.finishAll(List.of(new TaskStore.Finish(task, next, attemptStatus, error, startedAt, output)), now)
                    .stream().findFirst();
        }
        if (after.isEmpty()) {
            return Verdict.refuse("task " + task.id() + " changed meanwhile");
        }
        events.publishEvent(new TaskChanged(after.get(), task.status()));
        return Verdict.accept();
    }

    /** Back to the queue after a retryable failure or a lost attempt, runnable again after the retry backoff. */
    private Optional<TaskRow> requeue(TaskRow task, @Nullable String error, Instant now) {
        Duration delay = backoff.delay(task.attempt(), task.retryBackoffSeconds(), task.retryMaxBackoffSeconds());
        Instant runnableAt = delay.isZero() ? null : now.plus(delay).truncatedTo(ChronoUnit.MICROS);
        return store.requeue(task, error, now, runnableAt,
                DispatchOrder.key(runnableAt == null ? now : runnableAt, task.priority(),
                        properties.agingInterval()));
    }

    /**
     * Fails queued tasks that waited longer than their queue timeout since they became runnable, each with
     * {@code queue timeout: waited N s} and its waiting reason, if any.
     */
    @Transactional
    public List<TaskRow> failQueueTimeouts(int limit) {
        List<TaskRow> failed = store.failQueueTimeouts(now(), limit);
        failed.forEach(task -> events.publishEvent(new TaskChanged(task, TaskStatus.QUEUED)));
        return failed;
    }

    /**
     * The server's safety net for run-time limits: an active task still held {@code grace} after its
     * {@code timeoutSeconds} ran out (the agent should have stopped it and reported {@code timed out after N s})
     * fails with {@code timed out after N s (server)}, and its agent is told to stop it.
     */
    @Transactional
    public List<TaskRow> failOverdue(Duration grace, int limit) {
        Instant now = now();
        List<TaskRow> failed = new ArrayList<>();
        for (TaskRow task : store.lockOverdue(now, grace, limit)) {
            String reason = "timed out after " + task.timeoutSeconds() + " s (server)";
            Optional<TaskRow> after = store.finishAttempt(task, TaskStatus.FAILED, reason, now);
            after.ifPresent(changed -> {
                store.finishAttemptRow(task.id(), task.attempt(), AttemptStatus.FAILED, reason, now,
                        AttemptStatus.RUNNING);
                events.publishEvent(new CancellationRequested(String.valueOf(task.workerId()),
                        new TaskCancellation(task.id(), task.attempt(), reason)));
                events.publishEvent(new TaskChanged(changed, task.status()));
                failed.add(changed);
            });
        }
        return failed;
    }

    private Verdict stale(String workerId, UUID taskId, int attempt, @Nullable TaskRow task, Instant now) {
        String reason = staleReason(workerId, taskId, attempt, task);
        if (task != null) {
            store.markStale(taskId, attempt, workerId, reason, now);
        }
        return Verdict.refuse(reason);
    }

    private static String staleReason(String workerId, UUID taskId, int attempt, @Nullable TaskRow task) {
        if (task == null) {
            return "task " + taskId + " is unknown";
        }
        if (!task.isHeldBy(workerId, attempt)) {
            return "attempt " + attempt + " of task " + taskId + " is not the current attempt of worker " + workerId
                    + " (the task is " + task.status() + " at attempt " + task.attempt() + ")";
        }
        return "task " + taskId + " is already " + task.status();
    }

    private static AttemptStatus recordedAs(Outcome outcome) {
        return switch (outcome) {
            case SUCCEEDED -> AttemptStatus.SUCCEEDED;
            case FAILED -> AttemptStatus.FAILED;
            case CANCELLED -> AttemptStatus.CANCELLED;
        };
    }

    private static String failure(TaskCompletion completion) {
        if (completion.error() != null && !completion.error().isBlank()) {
            return completion.error();
        }
        return completion.exitCode() == null ? "attempt " + completion.attempt() + " failed"
                : "exit code " + completion.exitCode();
    }

    /** Database timestamps keep microseconds; so does every instant this service writes. */
    static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.MICROS);
    }
}
