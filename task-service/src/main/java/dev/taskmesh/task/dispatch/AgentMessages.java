package dev.taskmesh.task.dispatch;

import dev.taskmesh.contract.agent.AgentDestinations;
import dev.taskmesh.contract.agent.CompletionReceipt;
import dev.taskmesh.contract.agent.Heartbeat;
import dev.taskmesh.contract.agent.ProtocolError;
import dev.taskmesh.contract.agent.TaskCompletion;
import dev.taskmesh.contract.agent.TaskCompletions;
import dev.taskmesh.contract.agent.TaskLog;
import dev.taskmesh.contract.agent.TaskProgress;
import dev.taskmesh.contract.agent.TaskStarted;
import dev.taskmesh.task.lifecycle.CancellationRequested;
import dev.taskmesh.task.lifecycle.LiveSubscriptions;
import dev.taskmesh.task.lifecycle.TaskLifecycle;
import dev.taskmesh.task.lifecycle.TaskRow;
import dev.taskmesh.task.lifecycle.Verdict;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import java.security.Principal;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.event.EventListener;
import org.springframework.messaging.converter.MessageConversionException;
import org.springframework.messaging.handler.annotation.MessageExceptionHandler;
import org.springframework.messaging.handler.annotation.MessageMapping;
import org.springframework.messaging.handler.annotation.Payload;
import org.springframework.messaging.simp.SimpMessageHeaderAccessor;
import org.springframework.messaging.simp.SimpMessageSendingOperations;
import org.springframework.messaging.simp.annotation.SendToUser;
import org.springframework.stereotype.Controller;
import org.springframework.transaction.event.TransactionalEventListener;
import org.springframework.web.socket.messaging.SessionDisconnectEvent;

/**
 * What agents send on {@code /app/agent/*}. The principal is the worker id (set at CONNECT). Messages about an
 * attempt are fenced by {@link TaskLifecycle}; a refused one is answered with a {@link ProtocolError} on
 * {@code /user/queue/errors}, except a completion, which is always answered with a {@link CompletionReceipt}.
 */
@Controller
@MessageMapping("/agent")
class AgentMessages {

    private static final Logger log = LoggerFactory.getLogger(AgentMessages.class);
    static final String STALE_ATTEMPT = "STALE_ATTEMPT";
    static final String INVALID_MESSAGE = "INVALID_MESSAGE";
    static final String SERVER_ERROR = "SERVER_ERROR";

    private final TaskLifecycle lifecycle;
    private final ConnectedAgents agents;
    private final HeartbeatRelay heartbeats;
    private final Dispatcher dispatcher;
    private final SimpMessageSendingOperations messaging;
    private final CompletionCommitter completions;
    private final LiveSubscriptions live;
    private final DistributionSummary completionsPerFrame;

    AgentMessages(TaskLifecycle lifecycle, ConnectedAgents agents, HeartbeatRelay heartbeats, Dispatcher dispatcher,
                  SimpMessageSendingOperations messaging, CompletionCommitter completions, LiveSubscriptions live,
                  MeterRegistry meters) {
        this.lifecycle = lifecycle;
        this.agents = agents;
        this.heartbeats = heartbeats;
        this.dispatcher = dispatcher;
        this.messaging = messaging;
        this.completions = completions;
        this.live = live;
        this.completionsPerFrame = AgentOutbox.perFrame("completions", meters);
    }

    /**
     * The first heartbeat of a session registers the agent: its lease is renewed at once, and the tasks it held
     * before this session but no longer runs are lost (requeued or failed) before it is offered anything new.
     */
    @MessageMapping("/heartbeat")
    void heartbeat(@Payload Heartbeat heartbeat, SimpMessageHeaderAccessor headers) {
        require(heartbeat.capabilities() != null && heartbeat.freeSlots() >= 0,
                "a heartbeat needs capabilities and freeSlots >= 0");
        String workerId = workerId(headers);
        String sessionId = String.valueOf(headers.getSessionId());
        Instant now = Instant.now();
        if (!agents.isRegistered(workerId, sessionId)) {
            heartbeats.renewNow(workerId, heartbeat, now);
            List<TaskRow> lost = lifecycle.reconcile(workerId, new HashSet<>(heartbeat.running()),
                    connectedAt(headers, now), "worker " + workerId + " lost the task (not running after reconnect)");
            if (!lost.isEmpty()) {
                log.info("Worker {} reconnected without {} task(s) it held; they were requeued or failed", workerId,
                        lost.size());
            }
        }
        int free = agents.heartbeat(workerId, sessionId, speaksBatches(headers), heartbeat, now);
        heartbeats.received(workerId, heartbeat, now);
        if (free > 0) {
            dispatcher.signal();
        }
    }

    @MessageMapping("/started")
    void started(@Payload TaskStarted started, SimpMessageHeaderAccessor headers) {
        require(started.taskId() != null, "taskId is required");
        String workerId = workerId(headers);
        refuseIfStale(workerId, started.taskId(), started.attempt(), lifecycle.start(workerId, started));
    }

    @MessageMapping("/progress")
    void progress(@Payload TaskProgress progress, SimpMessageHeaderAccessor headers) {
        require(progress.taskId() != null && progress.at() != null, "taskId and at are required");
        require(progress.percent() == null || progress.percent() >= 0 && progress.percent() <= 100,
                "percent must be between 0 and 100");
        String workerId = workerId(headers);
        refuseIfStale(workerId, progress.taskId(), progress.attempt(), lifecycle.progress(workerId, progress));
    }

    /** Log lines go to live readers only; the whole log reaches the result-service by upload. */
    @MessageMapping("/log")
    void log(@Payload TaskLog taskLog, SimpMessageHeaderAccessor headers) {
        require(taskLog.taskId() != null, "taskId is required");
        String workerId = workerId(headers);
        Verdict verdict = lifecycle.checkCurrent(workerId, taskLog.taskId(), taskLog.attempt());
        String topic = "/topic/tasks/" + taskLog.taskId() + "/log";
        if (refuseIfStale(workerId, taskLog.taskId(), taskLog.attempt(), verdict) && live.watched(topic)) {
            messaging.convertAndSend(topic, taskLog);
        }
    }

    /** Queued for the next group commit; the receipt goes out after it ({@link CompletionCommitter}). */
    @MessageMapping("/complete")
    void complete(@Payload TaskCompletion completion, SimpMessageHeaderAccessor headers) {
        require(completion.taskId() != null && completion.outcome() != null, "taskId and outcome are required");
        completions.add(workerId(headers), completion);
        completionsPerFrame.record(1);
    }

    /** Several completions in one frame: all are queued, or none when one of them is invalid. */
    @MessageMapping("/complete-batch")
    void completeBatch(@Payload TaskCompletions batch, SimpMessageHeaderAccessor headers) {
        require(batch.completions() != null && !batch.completions().isEmpty()
                        && batch.completions().size() <= TaskCompletions.MAX_COMPLETIONS,
                "completions must hold 1 to " + TaskCompletions.MAX_COMPLETIONS + " completions");
        for (TaskCompletion completion : batch.completions()) {
            require(completion != null && completion.taskId() != null && completion.outcome() != null,
                    "every completion needs taskId and outcome");
        }
        String workerId = workerId(headers);
        batch.completions().forEach(completion -> completions.add(workerId, completion));
        completionsPerFrame.record(batch.completions().size());
    }

    @EventListener
    void onDisconnect(SessionDisconnectEvent event) {
        Principal user = event.getUser();
        if (user != null) {
            agents.disconnected(user.getName(), event.getSessionId());
        }
    }

    /** Tells the agent holding a cancelled task to stop it, once the cancellation is committed. */
    @TransactionalEventListener
    void onCancellation(CancellationRequested request) {
        messaging.convertAndSendToUser(request.workerId(), AgentDestinations.CANCELLATIONS, request.cancellation());
    }

    @MessageExceptionHandler
    @SendToUser(destinations = AgentDestinations.ERRORS, broadcast = false)
    ProtocolError onError(Exception e) {
        if (e instanceof InvalidMessageException || e instanceof MessageConversionException) {
            return new ProtocolError(INVALID_MESSAGE, e.getMessage() == null ? "unreadable message" : e.getMessage(),
                    null, null);
        }
        log.warn("Cannot handle an agent message: {}", e.toString());
        return new ProtocolError(SERVER_ERROR, "the server could not handle this message; send it again later",
                null, null);
    }

    /** @return whether the verdict accepted the message */
    private boolean refuseIfStale(String workerId, UUID taskId, int attempt, Verdict verdict) {
        if (!verdict.accepted()) {
            messaging.convertAndSendToUser(workerId, AgentDestinations.ERRORS,
                    new ProtocolError(STALE_ATTEMPT, String.valueOf(verdict.reason()), taskId, attempt));
        }
        return verdict.accepted();
    }

    /**
     * The worker the session authenticated as (its CONNECT was refused otherwise). Read from the headers, not taken
     * as a {@code Principal} argument: Spring's resolver of that argument looks at the parameter's nullness
     * annotations by reflection on every message ({@code MethodParameter.isOptional}), which was 5 % of the
     * task-service's CPU while a backlog drained (async-profiler).
     */
    private static String workerId(SimpMessageHeaderAccessor headers) {
        Principal user = headers.getUser();
        if (user == null) {
            throw new IllegalStateException("a message of session " + headers.getSessionId() + " has no user");
        }
        return user.getName();
    }

    private static boolean speaksBatches(SimpMessageHeaderAccessor headers) {
        Map<String, Object> attributes = headers.getSessionAttributes();
        @Nullable Object features = attributes == null ? null : attributes.get(AgentAuthentication.FEATURES);
        return features instanceof Set<?> set && set.contains(AgentDestinations.FEATURE_BATCHES);
    }

    private static Instant connectedAt(SimpMessageHeaderAccessor headers, Instant fallback) {
        Map<String, Object> attributes = headers.getSessionAttributes();
        @Nullable Object value = attributes == null ? null : attributes.get(AgentAuthentication.CONNECTED_AT);
        return value instanceof Instant at ? at : fallback;
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new InvalidMessageException(message);
        }
    }

    /** A message that is well-formed JSON but not a valid message of the protocol. */
    static final class InvalidMessageException extends RuntimeException {
        InvalidMessageException(String message) {
            super(message);
        }
    }
}
