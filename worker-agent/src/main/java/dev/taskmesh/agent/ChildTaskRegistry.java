package dev.taskmesh.agent;

import dev.taskmesh.agent.execution.ChildTasks;
import dev.taskmesh.agent.handler.ChildResult;
import dev.taskmesh.agent.handler.ChildTaskException;
import dev.taskmesh.contract.agent.AgentDestinations;
import dev.taskmesh.contract.agent.ChildFinished;
import dev.taskmesh.contract.agent.ChildSubmission;
import dev.taskmesh.contract.agent.ChildSubmitted;
import dev.taskmesh.contract.agent.RunningAttempt;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * The children of the attempts this agent runs: their submissions ({@link ChildSubmission}, answered by
 * {@link ChildSubmitted}) and their ends ({@link ChildFinished}).
 *
 * <p>A submission's request id is {@code <parent task id>/<attempt>/<n>}, unique among the agent's attempts, so that
 * a resend creates the child once. Every submission whose child has not ended is sent again after a reconnect, and
 * every {@code resyncInterval} while a handler waits for its children: the server answers a repeat with the child
 * already stored and, for a child that ended, with its {@code ChildFinished} again, which catches up on a notice lost
 * while disconnected or sent by another task-service instance.
 */
final class ChildTaskRegistry {

    /** Sends one message on the agent's session; false when it is not connected. */
    interface Sender {
        boolean send(String destination, Object payload);
    }

    /** How often a handler waiting for its children asks again about those that have not ended. */
    static final Duration DEFAULT_RESYNC = Duration.ofSeconds(30);

    private static final Logger log = LoggerFactory.getLogger(ChildTaskRegistry.class);

    private final Sender sender;
    private final Duration resyncInterval;
    private final Map<RunningAttempt, Parent> parents = new ConcurrentHashMap<>();
    private final Map<String, Parent> byRequest = new ConcurrentHashMap<>();

    ChildTaskRegistry(Sender sender, Duration resyncInterval) {
        this.sender = sender;
        this.resyncInterval = resyncInterval;
    }

    /** The children of an attempt that starts now. */
    ChildTasks open(RunningAttempt attempt) {
        Parent parent = new Parent(attempt);
        parents.put(attempt, parent);
        return parent;
    }

    /** The attempt ended: submissions still without an answer fail, and its children are forgotten. */
    void close(RunningAttempt attempt) {
        Parent parent = parents.remove(attempt);
        if (parent != null) {
            parent.close();
        }
    }

    void onSubmitted(ChildSubmitted answer) {
        Parent parent = byRequest.get(answer.requestId());
        if (parent == null) {
            log.debug("Answer to child submission {} of an attempt that has ended", answer.requestId());
            return;
        }
        parent.submitted(answer);
    }

    void onFinished(ChildFinished finished) {
        boolean known = false;
        for (Parent parent : parents.values()) {
            if (parent.attempt.taskId().equals(finished.parentTaskId())) {
                parent.finished(finished);
                known = true;
            }
        }
        if (!known) {
            log.debug("Child {} of task {} ended; the task no longer runs here", finished.childTaskId(),
                    finished.parentTaskId());
        }
    }

    /** After a reconnect: every submission whose child has not ended (or that has no answer) is sent again. */
    void resendAll() {
        parents.values().forEach(parent -> parent.send(parent.open()));
    }

    /** One submission of a child, kept while its attempt runs. */
    private static final class Submission {

        final String requestId;
        final JsonNode task;
        final CompletableFuture<UUID> answer = new CompletableFuture<>();
        @Nullable UUID childId;

        Submission(String requestId, JsonNode task) {
            this.requestId = requestId;
            this.task = task;
        }
    }

    /** The children of one attempt; its state is guarded by its own monitor. */
    private final class Parent implements ChildTasks {

        final RunningAttempt attempt;
        private int sequence;
        private boolean closed;
        /** Submissions in the order made, by request id; a refused one is removed. */
        private final Map<String, Submission> submissions = new LinkedHashMap<>();
        private final Map<UUID, ChildResult> ended = new HashMap<>();

        Parent(RunningAttempt attempt) {
            this.attempt = attempt;
        }

        @Override
        public CompletableFuture<UUID> submit(JsonNode task) {
            Submission submission;
            synchronized (this) {
                if (closed) {
                    return CompletableFuture.failedFuture(new ChildTaskException("the attempt has ended"));
                }
                String requestId = attempt.taskId() + "/" + attempt.attempt() + "/" + (++sequence);
                submission = new Submission(requestId, task);
                submissions.put(requestId, submission);
                byRequest.put(requestId, this);
            }
            // when not connected, it goes with the resend after the reconnect
            send(List.of(submission));
            return submission.answer;
        }

        @Override
        public List<ChildResult> awaitAll(Duration timeout) throws InterruptedException, TimeoutException {
            long deadline = System.nanoTime() + timeout.toNanos();
            long nextResync = System.nanoTime() + resyncInterval.toNanos();
            while (true) {
                List<Submission> resend = List.of();
                synchronized (this) {
                    List<Submission> open = open();
                    if (open.isEmpty()) {
                        return results();
                    }
                    long now = System.nanoTime();
                    if (now >= deadline) {
                        throw new TimeoutException(open.size() + " of " + submissions.size()
                                + " child task(s) have not ended within " + timeout);
                    }
                    if (now >= nextResync) {
                        resend = open;
                        nextResync = now + resyncInterval.toNanos();
                    } else {
                        long waitNanos = Math.min(deadline, nextResync) - now;
                        wait(Math.max(1, waitNanos / 1_000_000));
                    }
                }
                send(resend);
            }
        }

        synchronized void submitted(ChildSubmitted answer) {
            Submission submission = submissions.get(answer.requestId());
            if (submission == null) {
                return;
            }
            UUID childId = answer.taskId();
            if (childId == null) {
                submissions.remove(answer.requestId());
                byRequest.remove(answer.requestId());
                submission.answer.completeExceptionally(new ChildTaskException("child task refused: "
                        + answer.error()));
            } else {
                submission.childId = childId;
                submission.answer.complete(childId);
            }
            notifyAll();
        }

        synchronized void finished(ChildFinished finished) {
            ended.put(finished.childTaskId(), new ChildResult(finished.childTaskId(), finished.status(),
                    finished.error(), finished.workerId()));
            notifyAll();
        }

        /** Submissions without an answer, or whose child has not ended. */
        synchronized List<Submission> open() {
            List<Submission> open = new ArrayList<>();
            for (Submission submission : submissions.values()) {
                if (submission.childId == null || !ended.containsKey(submission.childId)) {
                    open.add(submission);
                }
            }
            return open;
        }

        private List<ChildResult> results() {
            List<ChildResult> results = new ArrayList<>(submissions.size());
            for (Submission submission : submissions.values()) {
                results.add(ended.get(submission.childId));
            }
            return results;
        }

        /** Sends outside the monitor: the answers arrive on the connection's thread, which needs it. */
        void send(List<Submission> toSend) {
            for (Submission submission : toSend) {
                sender.send(AgentDestinations.SUBMIT, new ChildSubmission(attempt.taskId(), attempt.attempt(),
                        submission.requestId, submission.task));
            }
        }

        synchronized void close() {
            closed = true;
            for (Submission submission : submissions.values()) {
                byRequest.remove(submission.requestId);
                submission.answer.completeExceptionally(new ChildTaskException(
                        "the attempt ended before the platform answered the child submission"));
            }
            notifyAll();
        }
    }
}
