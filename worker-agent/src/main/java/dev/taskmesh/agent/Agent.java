package dev.taskmesh.agent;

import dev.taskmesh.agent.connection.AgentConnection;
import dev.taskmesh.agent.connection.CompletionOutbox;
import dev.taskmesh.agent.connection.LogBatcher;
import dev.taskmesh.agent.connection.OutputUploader;
import dev.taskmesh.agent.connection.OutputUploader.UploadException;
import dev.taskmesh.agent.execution.AttemptLayout;
import dev.taskmesh.agent.execution.AttemptListener;
import dev.taskmesh.agent.execution.AttemptResult;
import dev.taskmesh.agent.execution.AttemptRun;
import dev.taskmesh.agent.execution.FolderTree;
import dev.taskmesh.agent.execution.OutputFiles;
import dev.taskmesh.agent.execution.OutputFiles.LocalFile;
import dev.taskmesh.agent.execution.TaskExecutor;
import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.contract.WireJson;
import dev.taskmesh.contract.agent.AgentDestinations;
import dev.taskmesh.contract.agent.Capabilities;
import dev.taskmesh.contract.agent.ChildFinished;
import dev.taskmesh.contract.agent.ChildSubmitted;
import dev.taskmesh.contract.agent.CompletionReceipt;
import dev.taskmesh.contract.agent.Heartbeat;
import dev.taskmesh.contract.agent.LogLine;
import dev.taskmesh.contract.agent.Outcome;
import dev.taskmesh.contract.agent.OutputFile;
import dev.taskmesh.contract.agent.ProtocolError;
import dev.taskmesh.contract.agent.RunningAttempt;
import dev.taskmesh.contract.agent.TaskAssignment;
import dev.taskmesh.contract.agent.TaskCancellation;
import dev.taskmesh.contract.agent.TaskCompletion;
import dev.taskmesh.contract.agent.TaskLog;
import dev.taskmesh.contract.agent.TaskProgress;
import dev.taskmesh.contract.agent.TaskStarted;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * The connected agent: runs the assignments pushed over its {@link AgentConnection}, reports their progress and logs,
 * uploads their outputs and completes them, and keeps each completion until the server's receipt.
 */
final class Agent implements AgentConnection.Listener, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Agent.class);
    /** {@link ProtocolError#code()} for a message about an attempt that is no longer the task's current one. */
    static final String STALE_ATTEMPT = "STALE_ATTEMPT";

    /**
     * How long an attempt runs before its {@link TaskStarted} is sent. An attempt that ends sooner is reported by its
     * completion alone (with {@link TaskCompletion#startedAt()}), which saves the server a transaction per short
     * task; progress and log lines send the start at once, so that it always comes first.
     */
    static final Duration STARTED_DELAY = Duration.ofMillis(100);
    /**
     * How often the starts that are due go out (so 100–150 ms after the start). One sweep instead of a timer per
     * attempt: no timer to schedule and cancel per task, and no wake-up of the timer thread per task.
     */
    static final Duration START_SWEEP = Duration.ofMillis(50);
    /**
     * The shortest time between two heartbeats sent before their time to tell the server of a changed prefetch: the
     * server learns of it within a few tasks, and a pace that changes all the time costs few messages.
     */
    static final Duration EARLY_HEARTBEAT_GAP = Duration.ofMillis(250);

    /** One attempt this agent holds, from its assignment until its completion is sent. */
    private static final class Active {

        final AttemptRun run;
        final LogBatcher logs;
        final StartReport start;
        volatile boolean running;
        /** The server called the attempt stale: it is stopped and never completed, its work cannot be recorded. */
        volatile boolean abandoned;

        Active(AttemptRun run, LogBatcher logs, StartReport start) {
            this.run = run;
            this.logs = logs;
            this.start = start;
        }
    }

    /**
     * Whether the attempt's {@link TaskStarted} went out: sent once, or folded into the completion. The start is sent
     * under this object's lock, so that the completion, decided under the same lock, never overtakes it.
     */
    private final class StartReport {

        private final TaskAssignment assignment;
        private @Nullable Instant startedAt;
        private long beganNanos;
        private boolean sent;
        private boolean folded;

        StartReport(TaskAssignment assignment) {
            this.assignment = assignment;
        }

        /** The attempt began: the sweep sends its start after {@link #STARTED_DELAY} unless something does sooner. */
        synchronized void began(Instant at) {
            startedAt = at;
            beganNanos = System.nanoTime();
        }

        /** Sends the start now if it began and was neither sent nor folded (a failed send is tried again later). */
        synchronized void sendNow() {
            if (startedAt == null || sent || folded) {
                return;
            }
            sent = send(AgentDestinations.STARTED, new TaskStarted(assignment.taskId(), assignment.attempt(),
                    startedAt));
        }

        /** Sends the start if the attempt has run for {@link #STARTED_DELAY} by {@code nowNanos}. */
        synchronized void sendIfDue(long nowNanos) {
            if (startedAt != null && nowNanos - beganNanos >= STARTED_DELAY.toNanos()) {
                sendNow();
            }
        }

        synchronized boolean pending() {
            return startedAt != null && !sent && !folded;
        }

        /** For the completion: when it started, if its start was not sent; from now on it is never sent. */
        synchronized @Nullable Instant fold() {
            if (sent || folded) {
                return null;
            }
            folded = true;
            return startedAt;
        }
    }

    private final Capabilities capabilities;
    private final Path workDir;
    private final TaskExecutor executor;
    private final OutputUploader uploader;
    private final Clock clock;
    private final Semaphore slots;
    private final Prefetch prefetch;
    /** When the last heartbeat sent before its time went out ({@link System#nanoTime()}). */
    private final AtomicLong lastEarlyHeartbeat = new AtomicLong(System.nanoTime() - EARLY_HEARTBEAT_GAP.toNanos());
    private final ScheduledExecutorService scheduler;
    private final Map<RunningAttempt, Active> active = new ConcurrentHashMap<>();
    private final ChildTaskRegistry children;
    /** Completions sent (or waiting to be sent) without a receipt yet, oldest first. */
    private final Map<RunningAttempt, TaskCompletion> pending = new LinkedHashMap<>();
    /** Pending attempts that wrote to disk: their folder goes with their receipt. */
    private final Set<RunningAttempt> foldersToDelete = ConcurrentHashMap.newKeySet();
    private final CompletionOutbox completions = new CompletionOutbox(this::sendCompletions);
    private @Nullable AgentConnection connection;
    private volatile boolean stopping;

    /**
     * @param prefetch    how many assigned tasks it keeps ready beyond its slots, waiting for a free slot in the order
     *                    they came
     * @param childResync how often a handler waiting for its children asks again about those not ended
     */
    Agent(Capabilities capabilities, Prefetch prefetch, Path workDir, TaskExecutor executor, OutputUploader uploader,
          Clock clock, Duration childResync) {
        this.children = new ChildTaskRegistry(this::send, childResync);
        this.capabilities = capabilities;
        this.workDir = workDir.toAbsolutePath().normalize();
        this.executor = executor;
        this.uploader = uploader;
        this.clock = clock;
        // fair: prefetched tasks start in the order they were assigned (the server's priority order)
        this.slots = new Semaphore(capabilities.slots(), true);
        this.prefetch = prefetch;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("agent-timer")
                .factory());
    }

    /** Sends heartbeats every {@code interval} on the connection and runs it until it is closed. */
    void run(AgentConnection connection, Duration interval) {
        this.connection = connection;
        scheduler.scheduleAtFixedRate(this::sendHeartbeat, interval.toMillis(), interval.toMillis(),
                TimeUnit.MILLISECONDS);
        scheduler.scheduleAtFixedRate(this::sendDueStarts, START_SWEEP.toMillis(), START_SWEEP.toMillis(),
                TimeUnit.MILLISECONDS);
        connection.run();
    }

    @Override
    public Heartbeat firstHeartbeat() {
        return heartbeat();
    }

    @Override
    public void onConnected() {
        if (connection == null) {
            return;
        }
        for (Active attempt : active.values()) {
            if (attempt.running && attempt.start.pending()) {
                attempt.start.sendNow();
            }
        }
        // before the completions: a parent's children must reach the server while it still runs
        children.resendAll();
        for (TaskCompletion completion : pendingCompletions()) {
            log.info("Sending again the completion of task {} attempt {}", completion.taskId(), completion.attempt());
            completions.send(completion);
        }
    }

    @Override
    public void onAssignment(TaskAssignment assignment) {
        RunningAttempt key = new RunningAttempt(assignment.taskId(), assignment.attempt());
        if (stopping) {
            log.warn("Ignoring task {} attempt {}: the agent is stopping", key.taskId(), key.attempt());
            return;
        }
        if (active.containsKey(key) || hasPending(key)) {
            log.warn("Ignoring a second assignment of task {} attempt {}", key.taskId(), key.attempt());
            return;
        }
        log.debug("Assigned task {} attempt {} ({})", key.taskId(), key.attempt(), assignment.type());
        AttemptLayout layout = AttemptLayout.under(workDir, key.taskId(), key.attempt());
        StartReport start = new StartReport(assignment);
        LogBatcher logs = new LogBatcher(lines -> {
            start.sendNow();
            send(AgentDestinations.LOG, new TaskLog(key.taskId(), key.attempt(), lines));
        }, scheduler, LogBatcher.DEFAULT_DELAY, LogBatcher.DEFAULT_MAX_LINES, LogBatcher.DEFAULT_MAX_BYTES);
        AttemptRun run = new AttemptRun(assignment, layout, new AttemptListener() {
            @Override
            public void onLog(LogLine line) {
                logs.add(line);
            }

            @Override
            public void onProgress(@Nullable Integer percent, @Nullable String stage) {
                start.sendNow();
                send(AgentDestinations.PROGRESS,
                        new TaskProgress(key.taskId(), key.attempt(), percent, stage, null, clock.instant()));
            }
        }, children.open(key));
        Active entry = new Active(run, logs, start);
        active.put(key, entry);
        Thread.ofVirtual().name("task-" + key.taskId() + "-" + key.attempt()).start(() -> runAttempt(key, entry));
    }

    @Override
    public void onCancellation(TaskCancellation cancellation) {
        Active attempt = active.get(new RunningAttempt(cancellation.taskId(), cancellation.attempt()));
        if (attempt == null) {
            log.info("Cancellation of task {} attempt {} which is not running here (already finished?)",
                    cancellation.taskId(), cancellation.attempt());
            return;
        }
        log.info("Cancelling task {} attempt {}: {}", cancellation.taskId(), cancellation.attempt(), cancellation.reason());
        attempt.run.cancel(cancellation.reason());
    }

    @Override
    public void onReceipt(CompletionReceipt receipt) {
        RunningAttempt key = new RunningAttempt(receipt.taskId(), receipt.attempt());
        TaskCompletion completion;
        synchronized (pending) {
            completion = pending.remove(key);
        }
        if (completion == null) {
            log.debug("Receipt for task {} attempt {} which is not pending", key.taskId(), key.attempt());
            return;
        }
        if (receipt.recorded()) {
            log.debug("Task {} attempt {} recorded as {}", key.taskId(), key.attempt(), completion.outcome());
        } else {
            log.warn("Task {} attempt {} not recorded: {}", key.taskId(), key.attempt(), receipt.reason());
        }
        if (foldersToDelete.remove(key)) {
            deleteQuietly(AttemptLayout.under(workDir, key.taskId(), key.attempt()).workDir());
        }
    }

    @Override
    public void onChildSubmitted(ChildSubmitted answer) {
        children.onSubmitted(answer);
    }

    @Override
    public void onChildFinished(ChildFinished finished) {
        children.onFinished(finished);
    }

    @Override
    public void onProtocolError(ProtocolError error) {
        log.warn("Server refused a message: {} {} (task {} attempt {})", error.code(), error.message(), error.taskId(),
                error.attempt());
        if (STALE_ATTEMPT.equals(error.code()) && error.taskId() != null && error.attempt() != null) {
            Active attempt = active.get(new RunningAttempt(error.taskId(), error.attempt()));
            if (attempt != null && attempt.run.isCancelled()) {
                // expected while a cancelled attempt winds down (its log lines reach a task that is already
                // CANCELLED): it still uploads its partial log and outputs and sends its completion
                return;
            }
            if (attempt != null && !attempt.abandoned) {
                log.warn("Stopping task {} attempt {}: the server no longer counts it as this worker's",
                        error.taskId(), error.attempt());
                attempt.abandoned = true;
                attempt.run.cancel("attempt is stale: " + error.message());
            }
        }
    }

    /** Kills every running attempt without completing it (the server requeues what an agent gone silent held). */
    @Override
    public void close() {
        stopping = true;
        active.values().forEach(attempt -> attempt.run.cancel("agent stopping"));
        long deadline = System.nanoTime() + TaskExecutor.DEFAULT_KILL_GRACE.plusSeconds(5).toNanos();
        while (active.values().stream().anyMatch(attempt -> attempt.running) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        scheduler.shutdownNow();
        if (connection != null) {
            connection.close();
        }
    }

    private void runAttempt(RunningAttempt key, Active attempt) {
        AttemptRun run = attempt.run;
        try {
            slots.acquire();
        } catch (InterruptedException e) {
            children.close(key);
            active.remove(key);
            return;
        }
        long heldSince = System.nanoTime();
        try {
            attempt.running = true;
            attempt.start.began(clock.instant());
            AttemptResult result = executor.execute(run);
            attempt.running = false;
            if (stopping || attempt.abandoned) {
                return;
            }
            complete(key, attempt, result);
        } finally {
            attempt.running = false;
            // an attempt that ends without a completion (agent stopping, stale) never reports its start
            attempt.start.fold();
            attempt.logs.close();
            run.close();
            children.close(key);
            active.remove(key);
            slots.release();
            if (prefetch.slotHeld(System.nanoTime() - heldSince)) {
                heartbeatEarly();
            }
        }
    }

    /** Sends a heartbeat now, unless one went out early within {@link #EARLY_HEARTBEAT_GAP}. */
    private void heartbeatEarly() {
        long now = System.nanoTime();
        long last = lastEarlyHeartbeat.get();
        if (stopping || now - last < EARLY_HEARTBEAT_GAP.toNanos() || !lastEarlyHeartbeat.compareAndSet(last, now)) {
            return;
        }
        try {
            scheduler.execute(this::sendHeartbeat);
        } catch (RejectedExecutionException e) {
            // closing: no more heartbeats
        }
    }

    private void complete(RunningAttempt key, Active attempt, AttemptResult result) {
        AttemptRun run = attempt.run;
        List<OutputFile> files = List.of();
        JsonNode inlineOutput = null;
        try {
            if (result.output() != null) {
                byte[] json = WireJson.mapper().writeValueAsBytes(result.output());
                if (json.length <= TaskCompletion.MAX_INLINE_OUTPUT_BYTES) {
                    inlineOutput = result.output();
                } else {
                    Files.write(run.outputDir().resolve(ApiPaths.RESULT_JSON), json);
                }
            }
            List<LocalFile> local = run.usedDisk() ? OutputFiles.list(run.layout().outputDir()) : List.of();
            if (result.outcome() != Outcome.SUCCEEDED) {
                // a success needs no note: the log of a task that printed nothing stays empty and is not uploaded
                run.note(result.outcome() + (result.error() == null ? "" : ": " + result.error())
                        + "; uploading " + local.size() + " output file(s)");
            }
            // the log goes up last and must hold every line: stop live batching and close log.txt first
            attempt.logs.close();
            run.close();
            files = uploader.upload(key.taskId(), key.attempt(), local, run.usedDisk() ? run.layout().logFile() : null);
        } catch (UploadException e) {
            log.warn("Task {} attempt {}: {}", key.taskId(), key.attempt(), e.getMessage());
            result = result.withUploadFailure(e.getMessage(), e.retryable());
            files = e.uploaded();
        } catch (IOException | UncheckedIOException e) {
            result = result.withUploadFailure("could not upload outputs: " + e.getMessage(), true);
            inlineOutput = null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        // the start of an attempt that ended before it was sent travels with the completion, after every upload
        Instant startedAt = attempt.start.fold();
        TaskCompletion completion = new TaskCompletion(key.taskId(), key.attempt(), result.outcome(), result.exitCode(),
                result.error(), result.retryable(), files, clock.instant(), startedAt,
                result.outcome() == Outcome.SUCCEEDED ? inlineOutput : null);
        if (run.usedDisk()) {
            foldersToDelete.add(key);
        }
        synchronized (pending) {
            pending.put(key, completion);
        }
        if (result.outcome() == Outcome.SUCCEEDED) {
            // one line per task would dominate the log of a busy agent; failures stay visible
            log.debug("Task {} attempt {} finished: {}", key.taskId(), key.attempt(), result.outcome());
        } else {
            log.info("Task {} attempt {} finished: {}", key.taskId(), key.attempt(), result.outcome());
        }
        // removed from the running list only now, so that a heartbeat always shows it as running or pending
        active.remove(key);
        completions.send(completion);
    }

    private void sendDueStarts() {
        try {
            long now = System.nanoTime();
            for (Active attempt : active.values()) {
                if (attempt.running) {
                    attempt.start.sendIfDue(now);
                }
            }
        } catch (RuntimeException e) {
            // an exception would cancel the schedule
            log.error("Could not send the starts of attempts", e);
        }
    }

    private void sendHeartbeat() {
        try {
            send(AgentDestinations.HEARTBEAT, heartbeat());
        } catch (RuntimeException e) {
            // an exception would cancel the schedule: heartbeats must go on
            log.error("Could not send a heartbeat", e);
        }
    }

    /** The running list holds attempts that execute and those whose completion has no receipt yet. */
    Heartbeat heartbeat() {
        List<RunningAttempt> running = new ArrayList<>(active.keySet());
        synchronized (pending) {
            running.addAll(pending.keySet());
        }
        running.sort(Comparator.comparing(RunningAttempt::taskId).thenComparingInt(RunningAttempt::attempt));
        int free = stopping ? 0 : Math.max(0, capabilities.slots() + prefetch.announce() - active.size());
        return new Heartbeat(capabilities, running.stream().distinct().toList(), free, clock.instant());
    }

    private boolean send(String destination, Object payload) {
        AgentConnection current = connection;
        return current != null && current.send(destination, payload);
    }

    private boolean sendCompletions(List<TaskCompletion> frame) {
        AgentConnection current = connection;
        return current != null && current.sendCompletions(frame);
    }

    private boolean hasPending(RunningAttempt key) {
        synchronized (pending) {
            return pending.containsKey(key);
        }
    }

    private List<TaskCompletion> pendingCompletions() {
        synchronized (pending) {
            return List.copyOf(pending.values());
        }
    }

    private static void deleteQuietly(Path dir) {
        try {
            FolderTree.delete(dir);
        } catch (IOException | RuntimeException e) {
            log.warn("Could not delete {}: {}", dir, e.toString());
        }
    }
}
