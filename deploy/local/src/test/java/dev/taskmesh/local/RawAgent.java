package dev.taskmesh.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskmesh.contract.WireJson;
import dev.taskmesh.contract.agent.AgentDestinations;
import dev.taskmesh.contract.agent.Capabilities;
import dev.taskmesh.contract.agent.CompletionReceipt;
import dev.taskmesh.contract.agent.Heartbeat;
import dev.taskmesh.contract.agent.Outcome;
import dev.taskmesh.contract.agent.ProtocolError;
import dev.taskmesh.contract.agent.RunningAttempt;
import dev.taskmesh.contract.agent.TaskAssignment;
import dev.taskmesh.contract.agent.TaskCompletion;
import dev.taskmesh.contract.agent.TaskProgress;
import dev.taskmesh.contract.agent.TaskStarted;
import java.lang.reflect.Type;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.springframework.messaging.converter.JacksonJsonMessageConverter;
import org.springframework.messaging.simp.stomp.StompCommand;
import org.springframework.messaging.simp.stomp.StompFrameHandler;
import org.springframework.messaging.simp.stomp.StompHeaders;
import org.springframework.messaging.simp.stomp.StompSession;
import org.springframework.messaging.simp.stomp.StompSessionHandlerAdapter;
import org.springframework.web.socket.WebSocketHttpHeaders;
import org.springframework.web.socket.client.standard.StandardWebSocketClient;
import org.springframework.web.socket.messaging.WebSocketStompClient;

/**
 * A worker agent played by the test: a plain STOMP client on the gateway's agent endpoint, with a real worker's JWT,
 * that sends exactly what the test tells it to (and no heartbeat unless told) and records what the server pushes.
 */
final class RawAgent implements AutoCloseable {

    private static final Duration WAIT = Duration.ofSeconds(60);

    private final WebSocketStompClient client;
    private final BlockingQueue<String> transportErrors = new LinkedBlockingQueue<>();
    final BlockingQueue<TaskAssignment> assignments = new LinkedBlockingQueue<>();
    final BlockingQueue<CompletionReceipt> receipts = new LinkedBlockingQueue<>();
    final BlockingQueue<ProtocolError> errors = new LinkedBlockingQueue<>();
    private final Capabilities capabilities;
    private final StompSession session;

    private RawAgent(String gatewayUrl, String workerId, String jwt, List<String> labels) {
        this.capabilities = new Capabilities(2, 1024, List.of(), List.of("command"), labels, 1, "raw-agent", "test");
        this.client = new WebSocketStompClient(new StandardWebSocketClient());
        client.setMessageConverter(new JacksonJsonMessageConverter(WireJson.mapper()));
        // no STOMP heart-beats: the test decides when this agent falls silent
        client.setDefaultHeartbeat(new long[] {0, 0});
        WebSocketHttpHeaders handshake = new WebSocketHttpHeaders();
        handshake.add(AgentDestinations.AUTHORIZATION_HEADER, "Bearer " + jwt);
        StompHeaders connect = new StompHeaders();
        connect.add(AgentDestinations.AUTHORIZATION_HEADER, "Bearer " + jwt);
        connect.add(AgentDestinations.WORKER_ID_HEADER, workerId);
        URI endpoint = URI.create(gatewayUrl.replaceFirst("^http", "ws") + AgentDestinations.ENDPOINT);
        try {
            session = client.connectAsync(endpoint.toString(), handshake, connect, new StompSessionHandlerAdapter() {
                @Override
                public void handleFrame(StompHeaders headers, @Nullable Object payload) {
                    transportErrors.add("ERROR frame: " + headers.getFirst("message"));
                }

                @Override
                public void handleTransportError(StompSession s, Throwable exception) {
                    transportErrors.add("transport: " + exception);
                }

                @Override
                public void handleException(StompSession s, @Nullable StompCommand command, StompHeaders headers,
                                            byte[] payload, Throwable exception) {
                    transportErrors.add("exception: " + exception);
                }
            }).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            client.stop();
            throw new IllegalStateException("Cannot connect to " + endpoint + ": " + transportErrors.peek(), e);
        }
        subscribe(AgentDestinations.ASSIGNMENTS, TaskAssignment.class, assignments);
        subscribe(AgentDestinations.RECEIPTS, CompletionReceipt.class, receipts);
        subscribe(AgentDestinations.ERRORS, ProtocolError.class, errors);
    }

    /** Connects through the gateway as {@code workerId}, with the JWT the worker's token was exchanged for. */
    static RawAgent connect(String gatewayUrl, String workerId, String jwt, List<String> labels) {
        return new RawAgent(gatewayUrl, workerId, jwt, labels);
    }

    void heartbeat(int freeSlots, RunningAttempt... running) {
        send(AgentDestinations.HEARTBEAT, new Heartbeat(capabilities, List.of(running), freeSlots, Instant.now()));
    }

    void started(UUID taskId, int attempt) {
        send(AgentDestinations.STARTED, new TaskStarted(taskId, attempt, Instant.now()));
    }

    void progress(UUID taskId, int attempt, int percent, String stage) {
        send(AgentDestinations.PROGRESS, new TaskProgress(taskId, attempt, percent, stage, null, Instant.now()));
    }

    void complete(UUID taskId, int attempt, Outcome outcome) {
        send(AgentDestinations.COMPLETE, new TaskCompletion(taskId, attempt, outcome,
                outcome == Outcome.SUCCEEDED ? 0 : 1, null, false, List.of(), Instant.now(), null, null));
    }

    TaskAssignment nextAssignment() {
        return next(assignments, "assignment");
    }

    CompletionReceipt nextReceipt() {
        return next(receipts, "completion receipt");
    }

    ProtocolError nextError() {
        return next(errors, "protocol error");
    }

    private <T> T next(BlockingQueue<T> queue, String what) {
        try {
            T item = queue.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(item).as("no %s within %s s (connection problems: %s)", what, WAIT.toSeconds(),
                    transportErrors).isNotNull();
            return item;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void send(String destination, Object payload) {
        assertThat(session.isConnected()).as("connected (problems: %s)", transportErrors).isTrue();
        session.send(destination, payload);
    }

    private <T> void subscribe(String queue, Class<T> type, BlockingQueue<T> into) {
        session.subscribe(AgentDestinations.USER_PREFIX + queue, new StompFrameHandler() {
            @Override
            public Type getPayloadType(StompHeaders headers) {
                return type;
            }

            @Override
            public void handleFrame(StompHeaders headers, @Nullable Object payload) {
                into.add(type.cast(payload));
            }
        });
    }

    @Override
    public void close() {
        if (session.isConnected()) {
            session.disconnect();
        }
        client.stop();
    }
}
