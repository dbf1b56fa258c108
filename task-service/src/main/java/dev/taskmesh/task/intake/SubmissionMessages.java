package dev.taskmesh.task.intake;

import dev.taskmesh.contract.task.TaskStatus;
import dev.taskmesh.support.ApiException;
import dev.taskmesh.support.Caller;
import dev.taskmesh.task.events.EventDestinations;
import dev.taskmesh.task.lifecycle.TaskQueries;
import dev.taskmesh.task.lifecycle.TaskView;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validator;
import java.security.Principal;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.event.EventListener;
import org.springframework.http.HttpStatus;
import org.springframework.messaging.Message;
import org.springframework.messaging.handler.annotation.MessageMapping;
import org.springframework.messaging.simp.SimpMessageHeaderAccessor;
import org.springframework.messaging.simp.SimpMessageSendingOperations;
import org.springframework.messaging.simp.SimpMessageType;
import org.springframework.messaging.simp.stomp.StompHeaderAccessor;
import org.springframework.security.core.Authentication;
import org.springframework.stereotype.Controller;
import org.springframework.web.socket.messaging.SessionDisconnectEvent;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Submission over a person's STOMP session ({@code /ws/events}): a SEND to {@value EventDestinations#SUBMIT} with the
 * body of {@code POST /api/v1/tasks}, answered with a {@link SubmissionReply} on
 * {@value EventDestinations#SUBMISSIONS} of that session only. A client that keeps its session open submits without
 * an HTTP request per task: through the gateway a frame costs a fraction of a request.
 *
 * <p>Headers of the SEND: {@code request-id} (echoed in the reply, at most 200 characters) and {@code wait-seconds}
 * (0 to 60): the reply then waits for the task's outcome, like {@code POST /api/v1/tasks?waitSeconds=N}. The wait does
 * not hold the session: its later frames are handled meanwhile, and replies may arrive in another order than the
 * submissions. A session has at most {@code taskmesh.tasks.max-waits-per-session} such answers pending; one more
 * submission with a wait is refused (429) before anything is stored, so a client cannot pile up waiters without
 * bound.
 */
@Controller
class SubmissionMessages {

    static final String REQUEST_ID = "request-id";
    static final String WAIT_SECONDS = "wait-seconds";
    private static final int MAX_REQUEST_ID = 200;
    private static final Logger log = LoggerFactory.getLogger(SubmissionMessages.class);

    private final TaskSubmissions submissions;
    private final TaskQueries queries;
    private final CompletionWaiters waiters;
    private final SimpMessageSendingOperations messaging;
    private final JsonMapper json;
    private final Validator validator;
    private final int maxWaitsPerSession;
    /** Answers each session still owes after a wait; forgotten when the session ends. */
    private final Map<String, AtomicInteger> waiting = new ConcurrentHashMap<>();
    /** Replies that read the task again after a wait: not on the thread that committed the outcome. */
    private final Executor afterWait = command -> Thread.ofVirtual().name("submission-reply").start(command);

    SubmissionMessages(TaskSubmissions submissions, TaskQueries queries, CompletionWaiters waiters,
                       SimpMessageSendingOperations messaging, JsonMapper json, Validator validator,
                       TaskProperties properties) {
        this.submissions = submissions;
        this.queries = queries;
        this.waiters = waiters;
        this.messaging = messaging;
        this.json = json;
        this.validator = validator;
        this.maxWaitsPerSession = properties.maxWaitsPerSession();
    }

    @MessageMapping("/tasks/submit")
    void submit(Message<byte[]> message) {
        StompHeaderAccessor headers = StompHeaderAccessor.wrap(message);
        // not a Principal argument: Spring's resolver of it reads annotations by reflection on every message
        Principal principal = Objects.requireNonNull(headers.getUser(), "an authenticated session's user");
        String sessionId = String.valueOf(headers.getSessionId());
        String requestId = headers.getFirstNativeHeader(REQUEST_ID);
        try {
            if (requestId != null && requestId.length() > MAX_REQUEST_ID) {
                requestId = null;
                throw ApiException.badRequest(REQUEST_ID + " must be at most " + MAX_REQUEST_ID + " characters");
            }
            int waitSeconds = waitSeconds(headers.getFirstNativeHeader(WAIT_SECONDS));
            SubmitTaskRequest request = parse(message.getPayload());
            @Nullable AtomicInteger waitHeld = waitSeconds > 0 ? reserveWait(sessionId) : null;
            String id = requestId;
            try {
                // the session's next frames are handled while this one is stored, possibly with them in one commit
                submissions.submitAsync(request, Caller.from((Authentication) principal),
                                waitHeld == null ? null : Duration.ofSeconds(waitSeconds))
                        .whenComplete((submitted, error) -> {
                            if (error != null || waitHeld == null) {
                                release(waitHeld);
                                send(principal, sessionId, error != null ? refusal(id, error)
                                        : SubmissionReply.of(id, submitted, submitted.task()));
                            } else {
                                answerAfterWait(submitted, principal, sessionId, id, waitSeconds, waitHeld);
                            }
                        });
            } catch (RuntimeException e) {
                release(waitHeld);
                throw e;
            }
        } catch (RuntimeException e) {
            send(principal, sessionId, refusal(requestId, e));
        }
    }

    private static SubmissionReply refusal(@Nullable String requestId, Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof ApiException e) {
            return SubmissionReply.refused(requestId, e.status().value(), e.status().getReasonPhrase(),
                    String.valueOf(e.getMessage()));
        }
        log.warn("Submission over STOMP failed: {}", cause.toString());
        return SubmissionReply.refused(requestId, 500, "Internal Server Error",
                "The task could not be submitted; it was not stored");
    }

    /**
     * Answers with the outcome when the task has it or the wait ends, from another thread, while the session goes
     * on; the session's wait is given back then. A task just created had its waiter registered before its commit.
     * Otherwise this runs on the committer's thread: its one read (whether the task ended before its waiter was
     * registered) costs less there than a hop to another thread would add to a round trip. A task released with its
     * outcome read is answered on the thread that released it (the committer of the outcome): no read is left to do.
     */
    private void answerAfterWait(TaskSubmissions.Submitted submitted, Principal principal, String sessionId,
                                 @Nullable String requestId, int waitSeconds, AtomicInteger waitHeld) {
        TaskView task = submitted.task();
        CompletableFuture<Optional<TaskView>> done = submitted.outcome();
        try {
            if (done == null) {
                done = task.status().isFinal() ? CompletableFuture.completedFuture(Optional.of(task))
                        : waiters.finalOrTimeout(task.id(), Duration.ofSeconds(waitSeconds),
                                () -> queries.status(task.id()).map(TaskStatus::isFinal).orElse(true));
            }
        } catch (RuntimeException e) {
            log.warn("Cannot wait for task {}: {}", task.id(), e.toString());
            done = CompletableFuture.completedFuture(Optional.empty());
        }
        done.whenComplete((ended, error) -> {
            if (ended != null && ended.isPresent()) {
                release(waitHeld);
                send(principal, sessionId, SubmissionReply.of(requestId, submitted, ended.get()));
            } else {
                afterWait.execute(() -> {
                    release(waitHeld);
                    send(principal, sessionId, afterWait(requestId, submitted));
                });
            }
        });
    }

    private static void release(@Nullable AtomicInteger waitHeld) {
        if (waitHeld != null) {
            waitHeld.decrementAndGet();
        }
    }

    /** One more answer this session waits for, or 429 when it already waits for as many as it may. */
    private AtomicInteger reserveWait(String sessionId) {
        AtomicInteger pending = waiting.computeIfAbsent(sessionId, id -> new AtomicInteger());
        if (pending.incrementAndGet() > maxWaitsPerSession) {
            pending.decrementAndGet();
            throw new ApiException(HttpStatus.TOO_MANY_REQUESTS, "This session already waits for "
                    + maxWaitsPerSession + " outcomes (taskmesh.tasks.max-waits-per-session); submit without "
                    + WAIT_SECONDS + " or wait for an answer first. Nothing was stored.");
        }
        return pending;
    }

    @EventListener
    void onDisconnect(SessionDisconnectEvent event) {
        waiting.remove(event.getSessionId());
    }

    /** The task as it is at the end of the wait; as it was submitted when it cannot be read (it is stored). */
    private SubmissionReply afterWait(@Nullable String requestId, TaskSubmissions.Submitted submitted) {
        TaskView task = submitted.task();
        try {
            task = queries.find(task.id()).orElse(task);
        } catch (RuntimeException e) {
            log.warn("Cannot read task {} after its wait: {}", task.id(), e.toString());
        }
        return SubmissionReply.of(requestId, submitted, task);
    }

    private static int waitSeconds(@Nullable String header) {
        if (header == null || header.isBlank()) {
            return 0;
        }
        try {
            int seconds = Integer.parseInt(header.trim());
            if (seconds >= 0 && seconds <= TaskController.MAX_WAIT_SECONDS) {
                return seconds;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiException.badRequest(WAIT_SECONDS + " must be a whole number between 0 and "
                + TaskController.MAX_WAIT_SECONDS);
    }

    /** The body as {@code POST /api/v1/tasks} reads it, with the same checks and the same wording of errors. */
    private SubmitTaskRequest parse(byte[] body) {
        SubmitTaskRequest request;
        try {
            request = json.readValue(body, SubmitTaskRequest.class);
        } catch (JacksonException e) {
            throw ApiException.badRequest("Malformed JSON: " + e.getOriginalMessage());
        }
        if (request == null) {
            throw ApiException.badRequest("Malformed JSON: the body must be a task object");
        }
        Set<ConstraintViolation<SubmitTaskRequest>> violations = validator.validate(request);
        if (!violations.isEmpty()) {
            throw ApiException.badRequest("Invalid request: " + violations.stream()
                    .sorted(Comparator.comparing(v -> v.getPropertyPath().toString()))
                    .map(v -> v.getPropertyPath() + " " + v.getMessage())
                    .collect(Collectors.joining("; ")));
        }
        return request;
    }

    /** To the session that sent the submission, not to every session of the user. */
    private void send(Principal principal, String sessionId, SubmissionReply reply) {
        SimpMessageHeaderAccessor headers = SimpMessageHeaderAccessor.create(SimpMessageType.MESSAGE);
        headers.setSessionId(sessionId);
        headers.setLeaveMutable(true);
        messaging.convertAndSendToUser(principal.getName(), EventDestinations.SUBMISSIONS_QUEUE, reply,
                headers.getMessageHeaders());
    }
}
