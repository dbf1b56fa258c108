package dev.taskmesh.task.fanout;

import dev.taskmesh.contract.agent.AgentDestinations;
import dev.taskmesh.contract.agent.ChildFinished;
import dev.taskmesh.contract.agent.ChildSubmission;
import dev.taskmesh.contract.agent.ChildSubmitted;
import dev.taskmesh.contract.agent.ProtocolError;
import dev.taskmesh.support.ApiException;
import dev.taskmesh.task.intake.TaskRequests;
import dev.taskmesh.task.lifecycle.FanOut;
import dev.taskmesh.task.lifecycle.TaskRow;
import java.security.Principal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.messaging.converter.MessageConversionException;
import org.springframework.messaging.handler.annotation.MessageExceptionHandler;
import org.springframework.messaging.handler.annotation.MessageMapping;
import org.springframework.messaging.handler.annotation.Payload;
import org.springframework.messaging.simp.SimpMessageSendingOperations;
import org.springframework.messaging.simp.annotation.SendToUser;
import org.springframework.stereotype.Controller;
import tools.jackson.databind.JsonNode;

/**
 * {@code /app/agent/submit}: a running task submits a child through its agent. Every submission with a readable
 * request id is answered with a {@link ChildSubmitted} on {@code /user/queue/submissions}; one from a worker that
 * does not hold the parent's current attempt is refused there and, like any stale message, with a
 * {@code STALE_ATTEMPT} {@link ProtocolError}. A repeated submission of a child that already ended is followed by its
 * {@link ChildFinished}, so that an agent that was disconnected when it ended learns of it.
 */
@Controller
@MessageMapping("/agent")
class ChildMessages {

    private static final Logger log = LoggerFactory.getLogger(ChildMessages.class);
    static final String STALE_ATTEMPT = "STALE_ATTEMPT";
    static final String INVALID_MESSAGE = "INVALID_MESSAGE";
    private static final int MAX_REQUEST_ID = 200;

    private final FanOut fanOut;
    private final TaskRequests requests;
    private final SimpMessageSendingOperations messaging;

    ChildMessages(FanOut fanOut, TaskRequests requests, SimpMessageSendingOperations messaging) {
        this.fanOut = fanOut;
        this.requests = requests;
        this.messaging = messaging;
    }

    @MessageMapping("/submit")
    void submit(@Payload ChildSubmission submission, Principal principal) {
        String workerId = principal.getName();
        String requestId = submission.requestId();
        if (requestId == null || requestId.isBlank() || requestId.length() > MAX_REQUEST_ID) {
            messaging.convertAndSendToUser(workerId, AgentDestinations.ERRORS, new ProtocolError(INVALID_MESSAGE,
                    "a child submission needs a requestId of 1 to " + MAX_REQUEST_ID + " characters",
                    submission.parentTaskId(), submission.parentAttempt()));
            return;
        }
        JsonNode task = submission.task();
        if (submission.parentTaskId() == null || task == null || task.isNull()) {
            answer(workerId, new ChildSubmitted(requestId, null, "parentTaskId and task are required"));
            return;
        }
        FanOut.ChildSubmit result;
        try {
            result = fanOut.submitChild(workerId, submission.parentTaskId(), submission.parentAttempt(), requestId,
                    parent -> requests.child(task, parent.owner(), parent.ownerName()));
        } catch (ApiException e) {
            answer(workerId, new ChildSubmitted(requestId, null, e.getMessage()));
            return;
        }
        TaskRow child = result.child();
        if (child == null) {
            String refusal = String.valueOf(result.refusal());
            messaging.convertAndSendToUser(workerId, AgentDestinations.ERRORS, new ProtocolError(STALE_ATTEMPT,
                    refusal, submission.parentTaskId(), submission.parentAttempt()));
            answer(workerId, new ChildSubmitted(requestId, null, refusal));
            return;
        }
        answer(workerId, new ChildSubmitted(requestId, child.id(), null));
        if (result.created()) {
            log.debug("Task {} submitted child {} ({})", submission.parentTaskId(), child.id(), child.type());
        } else if (child.status().isFinal()) {
            messaging.convertAndSendToUser(workerId, AgentDestinations.CHILDREN, new ChildFinished(
                    submission.parentTaskId(), child.id(), child.status().name(), child.error(), child.workerId()));
        }
    }

    @MessageExceptionHandler
    @SendToUser(destinations = AgentDestinations.ERRORS, broadcast = false)
    ProtocolError onError(Exception e) {
        if (e instanceof MessageConversionException) {
            return new ProtocolError(INVALID_MESSAGE, e.getMessage() == null ? "unreadable message" : e.getMessage(),
                    null, null);
        }
        log.warn("Cannot handle a child submission: {}", e.toString());
        return new ProtocolError("SERVER_ERROR", "the server could not handle this message; send it again later",
                null, null);
    }

    private void answer(String workerId, ChildSubmitted answer) {
        messaging.convertAndSendToUser(workerId, AgentDestinations.SUBMISSIONS, answer);
    }
}
