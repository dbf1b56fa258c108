package dev.taskmesh.bench.taskmesh;

import dev.taskmesh.contract.WireJson;
import java.lang.reflect.Type;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.springframework.messaging.converter.JacksonJsonMessageConverter;
import org.springframework.messaging.simp.stomp.StompFrameHandler;
import org.springframework.messaging.simp.stomp.StompHeaders;
import org.springframework.messaging.simp.stomp.StompSession;
import org.springframework.messaging.simp.stomp.StompSessionHandlerAdapter;
import org.springframework.web.socket.WebSocketHttpHeaders;
import org.springframework.web.socket.client.standard.StandardWebSocketClient;
import org.springframework.web.socket.messaging.WebSocketStompClient;
import tools.jackson.databind.JsonNode;

/**
 * A client that submits over one STOMP session through the gateway ({@code /ws/events}): a SEND to
 * {@code /app/tasks/submit} per task, each waited for on {@code /user/queue/submissions} before the next one, as a
 * client of the REST API waits for each answer. One session per workload run: the server refuses a submission after
 * the session's token expired (15 min), and a run is far shorter.
 */
final class StompSubmitter implements AutoCloseable {

    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(70);

    private final WebSocketStompClient client = new WebSocketStompClient(new StandardWebSocketClient());
    private final BlockingQueue<JsonNode> answers = new LinkedBlockingQueue<>();
    private final StompSession session;
    private long requests;

    StompSubmitter(String gatewayUrl, String token) {
        client.setMessageConverter(new JacksonJsonMessageConverter(WireJson.mapper()));
        client.setDefaultHeartbeat(new long[] {0, 0});
        StompHeaders connect = new StompHeaders();
        connect.add("Authorization", "Bearer " + token);
        try {
            session = client.connectAsync(gatewayUrl.replaceFirst("^http", "ws") + "/ws/events",
                    new WebSocketHttpHeaders(), connect, new StompSessionHandlerAdapter() {
                    }).get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("STOMP connect to /ws/events failed: " + e, e);
        }
        session.subscribe("/user/queue/submissions", new StompFrameHandler() {
            @Override
            public Type getPayloadType(StompHeaders headers) {
                return JsonNode.class;
            }

            @Override
            public void handleFrame(StompHeaders headers, Object payload) {
                answers.add((JsonNode) payload);
            }
        });
    }

    /**
     * Submits one task and answers the server's reply ({@code status}, {@code task}, {@code problem}); with
     * {@code waitSeconds > 0} the reply comes once the task has its outcome.
     */
    JsonNode submit(Object task, int waitSeconds) {
        String requestId = Long.toString(++requests);
        StompHeaders headers = new StompHeaders();
        headers.setDestination("/app/tasks/submit");
        headers.add("request-id", requestId);
        if (waitSeconds > 0) {
            headers.add("wait-seconds", Integer.toString(waitSeconds));
        }
        session.send(headers, task);
        long deadline = System.nanoTime() + ANSWER_TIMEOUT.toNanos();
        try {
            while (true) {
                JsonNode answer = answers.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                if (answer == null) {
                    throw new IllegalStateException("no answer to submission " + requestId + " within "
                            + ANSWER_TIMEOUT.toSeconds() + " s");
                }
                if (requestId.equals(answer.path("requestId").asString(""))) {
                    return answer;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Submits {@code count} copies of the task with up to {@code window} SENDs unanswered, as a STOMP client's
     * publish does not wait for the answer; returns once every answer arrived, each checked for 201.
     */
    void submitPipelined(Object task, int count, int window) {
        long sent = 0;
        long answered = 0;
        try {
            while (answered < count) {
                while (sent < count && sent - answered < window) {
                    StompHeaders headers = new StompHeaders();
                    headers.setDestination("/app/tasks/submit");
                    headers.add("request-id", Long.toString(++requests));
                    session.send(headers, task);
                    sent++;
                }
                JsonNode answer = answers.poll(ANSWER_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS);
                if (answer == null) {
                    throw new IllegalStateException((sent - answered) + " submissions unanswered after "
                            + ANSWER_TIMEOUT.toSeconds() + " s");
                }
                if (answer.path("status").asInt() != 201) {
                    throw new IllegalStateException("STOMP submit: " + answer);
                }
                answered++;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try {
            if (session.isConnected()) {
                session.disconnect();
            }
        } finally {
            client.stop();
        }
    }
}
