package dev.taskmesh.bench.taskmesh;

import dev.taskmesh.contract.WireJson;
import dev.taskmesh.contract.agent.AgentDestinations;
import dev.taskmesh.contract.agent.Capabilities;
import dev.taskmesh.contract.agent.CompletionReceipt;
import dev.taskmesh.contract.agent.Heartbeat;
import dev.taskmesh.contract.agent.Outcome;
import dev.taskmesh.contract.agent.ProtocolError;
import dev.taskmesh.contract.agent.TaskAssignment;
import dev.taskmesh.contract.agent.TaskCompletion;
import dev.taskmesh.contract.agent.TaskStarted;
import jakarta.websocket.ContainerProvider;
import jakarta.websocket.WebSocketContainer;
import java.lang.reflect.Type;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.springframework.messaging.converter.JacksonJsonMessageConverter;
import org.springframework.messaging.simp.stomp.StompFrameHandler;
import org.springframework.messaging.simp.stomp.StompHeaders;
import org.springframework.messaging.simp.stomp.StompSession;
import org.springframework.messaging.simp.stomp.StompSessionHandlerAdapter;
import org.springframework.scheduling.concurrent.ThreadPoolTaskScheduler;
import org.springframework.web.socket.WebSocketHttpHeaders;
import org.springframework.web.socket.client.standard.StandardWebSocketClient;
import org.springframework.web.socket.messaging.WebSocketStompClient;

/**
 * Many light agents in this JVM: one STOMP client shared by all sessions, two scheduler threads. Each agent is a
 * worker created through the API; it connects through the gateway like a real agent, heartbeats every 5 s (spread
 * over the interval), and answers every assignment at once with started and a successful completion.
 */
final class SimulatedFleet implements AutoCloseable {

    private static final Duration HEARTBEAT_EVERY = Duration.ofSeconds(5);
    private static final int TICKS = 50;

    private final String webSocketUrl;
    private final WebSocketStompClient client;
    private final ThreadPoolTaskScheduler stompScheduler = new ThreadPoolTaskScheduler();
    private final ScheduledExecutorService heartbeats = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "sim-heartbeats");
        t.setDaemon(true);
        return t;
    });
    private final List<Agent> agents = new CopyOnWriteArrayList<>();
    private final AtomicInteger tick = new AtomicInteger();
    final AtomicLong heartbeatsSent = new AtomicLong();
    final AtomicLong assignments = new AtomicLong();
    final AtomicLong receiptsRecorded = new AtomicLong();
    final AtomicLong protocolErrors = new AtomicLong();
    final AtomicLong sessionsLost = new AtomicLong();
    final AtomicLong connectFailures = new AtomicLong();

    SimulatedFleet(String gatewayUrl) {
        this.webSocketUrl = gatewayUrl.replaceFirst("^http", "ws") + AgentDestinations.ENDPOINT;
        WebSocketContainer container = ContainerProvider.getWebSocketContainer();
        stompScheduler.setPoolSize(2);
        stompScheduler.setThreadNamePrefix("sim-stomp-");
        stompScheduler.setDaemon(true);
        stompScheduler.initialize();
        client = new WebSocketStompClient(new StandardWebSocketClient(container));
        client.setMessageConverter(new JacksonJsonMessageConverter(WireJson.mapper()));
        client.setTaskScheduler(stompScheduler);
        client.setDefaultHeartbeat(new long[] {10_000, 10_000});
        long period = HEARTBEAT_EVERY.toMillis() / TICKS;
        heartbeats.scheduleAtFixedRate(this::heartbeatTick, period, period, TimeUnit.MILLISECONDS);
    }

    int size() {
        return agents.size();
    }

    long connected() {
        return agents.stream().filter(a -> a.session.isConnected()).count();
    }

    /** Creates workers and connects agents until there are {@code target}, {@code parallel} at a time. */
    void growTo(int target, Api api, int parallel, Duration timeout) {
        int from = agents.size();
        ExecutorService pool = Executors.newFixedThreadPool(parallel);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = from; i < target; i++) {
                int index = i;
                futures.add(pool.submit(() -> {
                    try {
                        String[] worker = api.createWorker("sim-" + index, "sim");
                        String jwt = api.workerToken(worker[0], worker[1]);
                        agents.add(connect(index, worker[0], jwt));
                    } catch (RuntimeException e) {
                        if (connectFailures.incrementAndGet() <= 5) {
                            System.err.println("[taskmesh] simulated agent " + index + ": " + e.getMessage());
                        }
                    }
                }));
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            for (Future<?> f : futures) {
                long left = deadline - System.nanoTime();
                try {
                    f.get(Math.max(1, left), TimeUnit.NANOSECONDS);
                } catch (Exception e) {
                    f.cancel(true);
                    connectFailures.incrementAndGet();
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private Agent connect(int index, String workerId, String jwt) {
        var handshake = new WebSocketHttpHeaders();
        handshake.add(AgentDestinations.AUTHORIZATION_HEADER, "Bearer " + jwt);
        var connect = new StompHeaders();
        connect.add(AgentDestinations.AUTHORIZATION_HEADER, "Bearer " + jwt);
        connect.add(AgentDestinations.WORKER_ID_HEADER, workerId);
        StompSession session;
        try {
            session = client.connectAsync(webSocketUrl, handshake, connect, new StompSessionHandlerAdapter() {
                @Override
                public void handleTransportError(StompSession s, Throwable exception) {
                    sessionsLost.incrementAndGet();
                }
            }).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("connect: " + e, e);
        }
        var agent = new Agent(index, workerId, session);
        subscribe(session, AgentDestinations.ASSIGNMENTS, TaskAssignment.class, agent::onAssignment);
        subscribe(session, AgentDestinations.RECEIPTS, CompletionReceipt.class, receipt -> {
            if (receipt.recorded()) {
                receiptsRecorded.incrementAndGet();
            }
        });
        subscribe(session, AgentDestinations.ERRORS, ProtocolError.class, error -> protocolErrors.incrementAndGet());
        agent.heartbeat();
        return agent;
    }

    private static <T> void subscribe(StompSession session, String queue, Class<T> type, Consumer<T> handler) {
        session.subscribe(AgentDestinations.USER_PREFIX + queue, new StompFrameHandler() {
            @Override
            public Type getPayloadType(StompHeaders headers) {
                return type;
            }

            @Override
            public void handleFrame(StompHeaders headers, Object payload) {
                if (payload != null) {
                    handler.accept(type.cast(payload));
                }
            }
        });
    }

    /** Every tick sends the heartbeats of one fiftieth of the agents: each agent once per 5 s. */
    private void heartbeatTick() {
        int slot = Math.floorMod(tick.getAndIncrement(), TICKS);
        for (Agent agent : agents) {
            if (agent.index % TICKS == slot) {
                try {
                    agent.heartbeat();
                } catch (RuntimeException e) {
                    // a lost session is counted by its handler
                }
            }
        }
    }

    @Override
    public void close() {
        heartbeats.shutdownNow();
        for (Agent agent : agents) {
            try {
                agent.session.disconnect();
            } catch (RuntimeException e) {
                // already gone
            }
        }
        stompScheduler.shutdown();
    }

    private final class Agent {

        final int index;
        final String workerId;
        final StompSession session;
        final Capabilities capabilities;

        Agent(int index, String workerId, StompSession session) {
            this.index = index;
            this.workerId = workerId;
            this.session = session;
            this.capabilities = new Capabilities(1, 1024, List.of(), List.of("noop"), List.of("sim"), 1,
                    "sim-" + index, "bench-simulated");
        }

        void heartbeat() {
            if (session.isConnected()) {
                send(AgentDestinations.HEARTBEAT, new Heartbeat(capabilities, List.of(), 1, Instant.now()));
                heartbeatsSent.incrementAndGet();
            }
        }

        void onAssignment(TaskAssignment assignment) {
            assignments.incrementAndGet();
            Instant now = Instant.now();
            send(AgentDestinations.STARTED, new TaskStarted(assignment.taskId(), assignment.attempt(), now));
            send(AgentDestinations.COMPLETE, new TaskCompletion(assignment.taskId(), assignment.attempt(),
                    Outcome.SUCCEEDED, null, null, false, List.of(), Instant.now(), null, null));
        }

        /** One writer at a time per WebSocket: heartbeats and answers come from different threads. */
        private synchronized void send(String destination, Object payload) {
            session.send(destination, payload);
        }
    }
}
