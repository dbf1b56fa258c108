package dev.taskmesh.agent.connection;

import dev.taskmesh.contract.WireJson;
import dev.taskmesh.contract.agent.AgentDestinations;
import dev.taskmesh.contract.agent.ChildFinished;
import dev.taskmesh.contract.agent.ChildSubmitted;
import dev.taskmesh.contract.agent.CompletionReceipt;
import dev.taskmesh.contract.agent.CompletionReceipts;
import dev.taskmesh.contract.agent.Heartbeat;
import dev.taskmesh.contract.agent.ProtocolError;
import dev.taskmesh.contract.agent.TaskAssignment;
import dev.taskmesh.contract.agent.TaskAssignments;
import dev.taskmesh.contract.agent.TaskCancellation;
import dev.taskmesh.contract.agent.TaskCompletion;
import dev.taskmesh.contract.agent.TaskCompletions;
import java.io.IOException;
import java.lang.reflect.Type;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.messaging.converter.ByteArrayMessageConverter;
import org.springframework.messaging.converter.CompositeMessageConverter;
import org.springframework.messaging.converter.JacksonJsonMessageConverter;
import org.springframework.messaging.converter.StringMessageConverter;
import org.springframework.messaging.simp.stomp.StompCommand;
import org.springframework.messaging.simp.stomp.StompFrameHandler;
import org.springframework.messaging.simp.stomp.StompHeaders;
import org.springframework.messaging.simp.stomp.StompSession;
import org.springframework.messaging.simp.stomp.StompSessionHandlerAdapter;
import org.springframework.scheduling.concurrent.ThreadPoolTaskScheduler;
import org.springframework.web.socket.WebSocketHttpHeaders;
import org.springframework.web.socket.messaging.WebSocketStompClient;

/**
 * The agent's STOMP session with the task-service, kept up for as long as the agent runs: connect with a fresh worker
 * token, subscribe to the agent's queues, send the first heartbeat, and after a drop reconnect with backoff (1 s
 * doubling to 30 s, with jitter), forever.
 */
public final class AgentConnection implements AutoCloseable {

    /** What the agent does with the session's events. Called on the client's I/O thread: must return quickly. */
    public interface Listener {

        /** The heartbeat that opens every session (it registers the agent's slots and running attempts). */
        Heartbeat firstHeartbeat();

        /** The session is up and the first heartbeat was sent: time to send what waited (pending completions). */
        void onConnected();

        void onAssignment(TaskAssignment assignment);

        void onCancellation(TaskCancellation cancellation);

        void onReceipt(CompletionReceipt receipt);

        void onProtocolError(ProtocolError error);

        /** The answer to a child submission of one of the agent's attempts. */
        default void onChildSubmitted(ChildSubmitted answer) {
        }

        /** A child of a task the agent runs has ended. */
        default void onChildFinished(ChildFinished finished) {
        }
    }

    private static final Logger log = LoggerFactory.getLogger(AgentConnection.class);
    /** STOMP heart-beats both ways, so that a dead TCP connection is noticed within about 3 of them. */
    private static final long[] STOMP_HEARTBEAT = {10_000, 10_000};
    private static final Duration CONNECT_LIMIT = Duration.ofSeconds(20);
    /** A session that lasted this long was healthy: the next drop starts the backoff again at 1 s. */
    private static final Duration HEALTHY_SESSION = Duration.ofSeconds(30);
    /** Largest message the server may send (an assignment carries the task's input). */
    private static final int INBOUND_LIMIT = 4 * 1024 * 1024;
    /**
     * Outgoing STOMP frames are split into WebSocket messages of at most this size, which every server buffers by
     * default (Tomcat's is 8 KiB); the server's STOMP decoder joins them again.
     */
    private static final int OUTBOUND_SPLIT = 8 * 1024;

    private final ServerAddress server;
    private final String workerId;
    private final TokenSource tokens;
    private final Listener listener;
    private final Backoff backoff;
    private final WebSocketStompClient stompClient;
    private final ThreadPoolTaskScheduler heartbeatScheduler;
    private final Object sendLock = new Object();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile @Nullable StompSession session;
    private volatile @Nullable CompletableFuture<Void> sessionLost;
    /** The session in which the server has sent a batch, and so reads the agent's batches; null before. */
    private volatile @Nullable StompSession batchSession;

    public AgentConnection(ServerAddress server, String workerId, TokenSource tokens, Listener listener) {
        this.server = server;
        this.workerId = workerId;
        this.tokens = tokens;
        this.listener = listener;
        this.backoff = Backoff.reconnects();
        this.heartbeatScheduler = new ThreadPoolTaskScheduler();
        heartbeatScheduler.setPoolSize(1);
        heartbeatScheduler.setThreadNamePrefix("stomp-heartbeat-");
        heartbeatScheduler.setDaemon(true);
        heartbeatScheduler.initialize();
        this.stompClient = new WebSocketStompClient(new JdkWebSocketClient(CONNECT_LIMIT, INBOUND_LIMIT));
        stompClient.setMessageConverter(new CompositeMessageConverter(List.of(new StringMessageConverter(),
                new ByteArrayMessageConverter(), new JacksonJsonMessageConverter(WireJson.mapper()))));
        stompClient.setTaskScheduler(heartbeatScheduler);
        stompClient.setDefaultHeartbeat(STOMP_HEARTBEAT);
        stompClient.setInboundMessageSizeLimit(INBOUND_LIMIT);
        stompClient.setOutboundMessageSizeLimit(OUTBOUND_SPLIT);
    }

    /**
     * Connects and keeps the session up until {@link #close()}.
     *
     * @throws WorkerRejectedException when the server refuses the worker's id or token
     */
    public void run() {
        boolean first = true;
        while (stopped.getCount() > 0) {
            long connectedAt = 0;
            try {
                // a fresh token for every new session; the first one may still be fresh from start-up
                String jwt = token(first);
                first = false;
                if (jwt != null) {
                    CompletableFuture<Void> lost = connect(jwt);
                    connectedAt = System.nanoTime();
                    lost.get();
                    if (stopped.getCount() > 0) {
                        log.warn("Connection to {} lost; reconnecting", server.webSocketUri());
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (ExecutionException e) {
                log.warn("Cannot connect to {}: {}", server.webSocketUri(), describe(e.getCause()));
            } catch (TimeoutException e) {
                log.warn("Cannot connect to {}: no answer within {}", server.webSocketUri(), CONNECT_LIMIT);
            } catch (WorkerRejectedException e) {
                throw e;
            } catch (RuntimeException e) {
                log.warn("Cannot connect to {}: {}", server.webSocketUri(), describe(e));
            } finally {
                dropSession();
            }
            if (connectedAt != 0 && System.nanoTime() - connectedAt > HEALTHY_SESSION.toNanos()) {
                backoff.reset();
            }
            Duration delay = backoff.next();
            try {
                if (stopped.await(delay.toMillis(), TimeUnit.MILLISECONDS)) {
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            log.info("Reconnecting after {} ms", delay.toMillis());
        }
    }

    /** The token for the next session, or null when the server cannot be reached (logged). */
    private @Nullable String token(boolean first) throws InterruptedException {
        try {
            return first ? tokens.current() : tokens.refresh();
        } catch (IOException e) {
            log.warn("Cannot get a worker token from {}: {}", server.tokenUri(), describe(e));
            return null;
        }
    }

    /**
     * Sends one message if the session is up; messages are never queued while disconnected.
     *
     * @return whether it was handed to the connection
     */
    public boolean send(String destination, Object payload) {
        synchronized (sendLock) {
            StompSession current = session;
            if (current == null || !current.isConnected()) {
                return false;
            }
            return sendOn(current, destination, payload);
        }
    }

    /**
     * Sends completions: several in one frame once this session's server has sent a batch (an older server has no
     * destination for them), else one per frame.
     *
     * @return whether all were handed to the connection
     */
    public boolean sendCompletions(List<TaskCompletion> completions) {
        synchronized (sendLock) {
            StompSession current = session;
            if (current == null || !current.isConnected()) {
                return false;
            }
            if (completions.size() > 1 && current == batchSession) {
                return sendOn(current, AgentDestinations.COMPLETE_BATCH, new TaskCompletions(completions));
            }
            boolean sent = true;
            for (TaskCompletion completion : completions) {
                sent &= sendOn(current, AgentDestinations.COMPLETE, completion);
            }
            return sent;
        }
    }

    public boolean isConnected() {
        StompSession current = session;
        return current != null && current.isConnected();
    }

    /** Disconnects and stops reconnecting. */
    @Override
    public void close() {
        stopped.countDown();
        CompletableFuture<Void> lost = sessionLost;
        if (lost != null) {
            lost.complete(null);
        }
        dropSession();
        heartbeatScheduler.shutdown();
    }

    private CompletableFuture<Void> connect(String jwt)
            throws InterruptedException, ExecutionException, TimeoutException {
        CompletableFuture<Void> lost = new CompletableFuture<>();
        sessionLost = lost;
        WebSocketHttpHeaders handshake = new WebSocketHttpHeaders();
        // the gateway may check the token on the upgrade request already; the task-service checks CONNECT
        handshake.add(AgentDestinations.AUTHORIZATION_HEADER, "Bearer " + jwt);
        StompHeaders connect = new StompHeaders();
        connect.add(AgentDestinations.AUTHORIZATION_HEADER, "Bearer " + jwt);
        connect.add(AgentDestinations.WORKER_ID_HEADER, workerId);
        connect.add(AgentDestinations.FEATURES_HEADER, AgentDestinations.FEATURE_BATCHES);
        StompSession connected = stompClient
                .connectAsync(server.webSocketUri(), handshake, connect, new SessionHandler(lost))
                .get(CONNECT_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
        subscribe(connected, AgentDestinations.ASSIGNMENTS, TaskAssignment.class, listener::onAssignment);
        subscribe(connected, AgentDestinations.ASSIGNMENT_BATCHES, TaskAssignments.class, batch -> {
            batchSession = connected;
            batch.assignments().forEach(listener::onAssignment);
        });
        subscribe(connected, AgentDestinations.RECEIPT_BATCHES, CompletionReceipts.class, batch -> {
            batchSession = connected;
            batch.receipts().forEach(listener::onReceipt);
        });
        subscribe(connected, AgentDestinations.CANCELLATIONS, TaskCancellation.class, listener::onCancellation);
        subscribe(connected, AgentDestinations.RECEIPTS, CompletionReceipt.class, listener::onReceipt);
        subscribe(connected, AgentDestinations.ERRORS, ProtocolError.class, listener::onProtocolError);
        subscribe(connected, AgentDestinations.SUBMISSIONS, ChildSubmitted.class, listener::onChildSubmitted);
        subscribe(connected, AgentDestinations.CHILDREN, ChildFinished.class, listener::onChildFinished);
        synchronized (sendLock) {
            // the heartbeat is the first message of every session: nothing else may be sent before it
            if (!sendOn(connected, AgentDestinations.HEARTBEAT, listener.firstHeartbeat())) {
                lost.complete(null);
                return lost;
            }
            session = connected;
        }
        log.info("Connected to {} as worker {}", server.webSocketUri(), workerId);
        listener.onConnected();
        return lost;
    }

    private <T> void subscribe(StompSession stomp, String queue, Class<T> type, Consumer<T> handler) {
        String destination = AgentDestinations.USER_PREFIX + queue;
        stomp.subscribe(destination, new StompFrameHandler() {
            @Override
            public Type getPayloadType(StompHeaders headers) {
                return type;
            }

            @Override
            public void handleFrame(StompHeaders headers, @Nullable Object payload) {
                if (payload == null) {
                    log.warn("Ignoring an empty message on {}", destination);
                    return;
                }
                try {
                    handler.accept(type.cast(payload));
                } catch (RuntimeException e) {
                    log.error("Handling a message on {} failed", destination, e);
                }
            }
        });
    }

    private static boolean sendOn(StompSession stomp, String destination, Object payload) {
        try {
            stomp.send(destination, payload);
            return true;
        } catch (RuntimeException e) {
            log.warn("Could not send to {}: {}", destination, describe(e));
            return false;
        }
    }

    private void dropSession() {
        StompSession current;
        synchronized (sendLock) {
            current = session;
            session = null;
        }
        if (current != null && current.isConnected()) {
            try {
                current.disconnect();
            } catch (RuntimeException e) {
                log.debug("Disconnect failed", e);
            }
        }
    }

    private static String describe(@Nullable Throwable e) {
        if (e == null) {
            return "unknown error";
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == e ? e.toString() : e + " (" + root + ")";
    }

    /** Turns the end of a session into the {@code lost} future the reconnect loop waits on. */
    private static final class SessionHandler extends StompSessionHandlerAdapter {

        private final CompletableFuture<Void> lost;

        SessionHandler(CompletableFuture<Void> lost) {
            this.lost = lost;
        }

        @Override
        public Type getPayloadType(StompHeaders headers) {
            return String.class;
        }

        @Override
        public void handleFrame(StompHeaders headers, @Nullable Object payload) {
            // only ERROR frames arrive here: the server closes the connection after one
            log.warn("Server sent a STOMP ERROR: {} {}", headers.getFirst("message"), payload == null ? "" : payload);
        }

        @Override
        public void handleException(StompSession session, @Nullable StompCommand command, StompHeaders headers,
                                    byte[] payload, Throwable exception) {
            log.warn("Could not handle a {} frame on {}: {}", command, headers.getDestination(), describe(exception));
        }

        @Override
        public void handleTransportError(StompSession session, Throwable exception) {
            log.debug("Transport error", exception);
            lost.complete(null);
        }
    }
}
