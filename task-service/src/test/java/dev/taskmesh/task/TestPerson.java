package dev.taskmesh.task;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskmesh.contract.WireJson;
import java.lang.reflect.Type;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.springframework.messaging.converter.CompositeMessageConverter;
import org.springframework.messaging.converter.JacksonJsonMessageConverter;
import org.springframework.messaging.converter.StringMessageConverter;
import org.springframework.messaging.simp.stomp.StompCommand;
import org.springframework.messaging.simp.stomp.StompFrameHandler;
import org.springframework.messaging.simp.stomp.StompHeaders;
import org.springframework.messaging.simp.stomp.StompSession;
import org.springframework.messaging.simp.stomp.StompSessionHandlerAdapter;
import org.springframework.web.socket.WebSocketHttpHeaders;
import org.springframework.web.socket.client.standard.StandardWebSocketClient;
import org.springframework.web.socket.messaging.WebSocketStompClient;
import tools.jackson.databind.JsonNode;

/**
 * A person's page played by a real STOMP client over a real WebSocket to {@code /ws/events}: it subscribes as a
 * browser would and records every frame it gets, as JSON.
 */
final class TestPerson implements AutoCloseable {

    static final String ENDPOINT = "/ws/events";
    private static final long WAIT_SECONDS = 15;

    private final WebSocketStompClient client;
    private final BlockingQueue<String> errorFrames = new LinkedBlockingQueue<>();
    private @Nullable StompSession session;

    private TestPerson() {
        client = new WebSocketStompClient(new StandardWebSocketClient());
        // strings go as they are (text/plain), so that a test can send a body that is not JSON
        client.setMessageConverter(new CompositeMessageConverter(
                List.of(new StringMessageConverter(), new JacksonJsonMessageConverter(WireJson.mapper()))));
        client.setDefaultHeartbeat(new long[] {0, 0});
    }

    /** Connects with the given user or admin token. */
    static TestPerson connect(int port, String token) {
        TestPerson person = new TestPerson();
        try {
            person.session = person.connectAsync(port, token).get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Cannot connect: " + person.errorFrames.peek(), e);
        }
        return person;
    }

    /** Tries to connect with the token; answers the ERROR frame's message. */
    static String refusedConnect(int port, @Nullable String token) {
        TestPerson person = new TestPerson();
        CompletableFuture<StompSession> future = person.connectAsync(port, token);
        try {
            String error = person.errorFrames.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            assertThat(error).as("ERROR frame for a refused CONNECT").isNotNull();
            assertThat(future.isDone() && !future.isCompletedExceptionally()).as("connected").isFalse();
            return error;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            future.cancel(true);
            person.client.stop();
        }
    }

    private CompletableFuture<StompSession> connectAsync(int port, @Nullable String token) {
        StompHeaders connect = new StompHeaders();
        if (token != null) {
            connect.add("Authorization", "Bearer " + token);
        }
        return client.connectAsync("ws://127.0.0.1:" + port + ENDPOINT, new WebSocketHttpHeaders(), connect,
                new StompSessionHandlerAdapter() {
                    @Override
                    public void handleFrame(StompHeaders headers, @Nullable Object payload) {
                        errorFrames.add(String.valueOf(headers.getFirst("message")));
                    }

                    @Override
                    public void handleTransportError(StompSession s, Throwable exception) {
                        errorFrames.add("transport: " + exception);
                    }

                    @Override
                    public void handleException(StompSession s, @Nullable StompCommand command,
                                                StompHeaders headers, byte[] payload, Throwable exception) {
                        errorFrames.add("exception: " + exception);
                    }
                });
    }

    /** Subscribes; every frame that arrives on it lands in the answered queue. */
    BlockingQueue<JsonNode> subscribe(String destination) {
        BlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
        session().subscribe(destination, new StompFrameHandler() {
            @Override
            public Type getPayloadType(StompHeaders headers) {
                return JsonNode.class;
            }

            @Override
            public void handleFrame(StompHeaders headers, @Nullable Object payload) {
                frames.add((JsonNode) payload);
            }
        });
        return frames;
    }

    /**
     * Subscribes to the workers' snapshot and waits for it. The server handles a session's frames in order, so
     * every subscription made before is in place once this answers.
     */
    JsonNode workersSnapshot() {
        return next(subscribe("/app/workers"), "workers snapshot");
    }

    void send(String destination, Object payload) {
        session().send(destination, payload);
    }

    /** A SEND with the given STOMP headers besides the destination. */
    void send(String destination, Map<String, String> headers, Object payload) {
        StompHeaders stomp = new StompHeaders();
        headers.forEach(stomp::add);
        stomp.setDestination(destination);
        session().send(stomp, payload);
    }

    static JsonNode next(BlockingQueue<JsonNode> queue, String what) {
        try {
            JsonNode item = queue.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            assertThat(item).as("no " + what + " within " + WAIT_SECONDS + " s").isNotNull();
            return item;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Waits for the frame of the given task whose field {@code status} has the value; skips the ones before. */
    static JsonNode nextWithStatus(BlockingQueue<JsonNode> queue, String taskId, String status) {
        while (true) {
            JsonNode event = next(queue, status + " of task " + taskId);
            if (event.path("id").asString().equals(taskId) && event.path("status").asString().equals(status)) {
                return event;
            }
        }
    }

    static List<String> ids(BlockingQueue<JsonNode> queue) {
        return queue.stream().map(event -> event.path("id").asString()).toList();
    }

    String nextErrorFrame() {
        try {
            String error = errorFrames.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            assertThat(error).as("ERROR frame").isNotNull();
            return error;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private StompSession session() {
        if (session == null) {
            throw new IllegalStateException("not connected");
        }
        return session;
    }

    @Override
    public void close() {
        try {
            if (session != null && session.isConnected()) {
                session.disconnect();
            }
        } catch (RuntimeException e) {
            // the server closed the session already (after an ERROR frame)
        } finally {
            client.stop();
        }
    }
}
