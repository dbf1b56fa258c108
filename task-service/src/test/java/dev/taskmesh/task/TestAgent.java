package dev.taskmesh.task;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskmesh.contract.WireJson;
import dev.taskmesh.contract.agent.AgentDestinations;
import dev.taskmesh.contract.agent.Capabilities;
import dev.taskmesh.contract.agent.ChildFinished;
import dev.taskmesh.contract.agent.ChildSubmission;
import dev.taskmesh.contract.agent.ChildSubmitted;
import dev.taskmesh.contract.agent.CompletionReceipt;
import dev.taskmesh.contract.agent.CompletionReceipts;
import dev.taskmesh.contract.agent.Gpu;
import dev.taskmesh.contract.agent.Heartbeat;
import dev.taskmesh.contract.agent.Outcome;
import dev.taskmesh.contract.agent.ProtocolError;
import dev.taskmesh.contract.agent.RunningAttempt;
import dev.taskmesh.contract.agent.TaskAssignment;
import dev.taskmesh.contract.agent.TaskAssignments;
import dev.taskmesh.contract.agent.TaskCancellation;
import dev.taskmesh.contract.agent.TaskCompletion;
import dev.taskmesh.contract.agent.TaskProgress;
import dev.taskmesh.contract.agent.TaskStarted;
import dev.taskmesh.testsupport.TestTokens;
import java.lang.reflect.Type;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
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
 * A worker agent played by a real STOMP client over a real WebSocket: it speaks the protocol of
 * {@link AgentDestinations} and records what the server pushes to it.
 */
final class TestAgent implements AutoCloseable {

    private static final long WAIT_SECONDS = 15;

    final String workerId;
    private final WebSocketStompClient client;
    private final BlockingQueue<String> errorFrames = new LinkedBlockingQueue<>();
    final BlockingQueue<TaskAssignment> assignments = new LinkedBlockingQueue<>();
    final BlockingQueue<TaskCancellation> cancellations = new LinkedBlockingQueue<>();
    final BlockingQueue<CompletionReceipt> receipts = new LinkedBlockingQueue<>();
    final BlockingQueue<ProtocolError> errors = new LinkedBlockingQueue<>();
    final BlockingQueue<ChildSubmitted> submissions = new LinkedBlockingQueue<>();
    final BlockingQueue<ChildFinished> childrenFinished = new LinkedBlockingQueue<>();
    /** Batch frames, for an agent that announced batches at CONNECT. */
    final BlockingQueue<TaskAssignments> assignmentBatches = new LinkedBlockingQueue<>();
    final BlockingQueue<CompletionReceipts> receiptBatches = new LinkedBlockingQueue<>();
    private final boolean speaksBatches;
    private @Nullable StompSession session;
    private Capabilities capabilities;

    private TestAgent(String workerId, List<String> taskTypes, boolean speaksBatches) {
        this.workerId = workerId;
        this.speaksBatches = speaksBatches;
        this.capabilities = new Capabilities(8, 16_384, List.of(), taskTypes, List.of(), 4, "test-host", "test");
        this.client = new WebSocketStompClient(new StandardWebSocketClient());
        client.setMessageConverter(new JacksonJsonMessageConverter(WireJson.mapper()));
        client.setDefaultHeartbeat(new long[] {0, 0});
    }

    /** Connects as a worker with a valid worker token and subscribes to its queues. */
    static TestAgent connect(int port, List<String> taskTypes) {
        String workerId = "w-" + UUID.randomUUID();
        TestAgent agent = new TestAgent(workerId, taskTypes, false);
        agent.open(port, TestTokens.shared().worker(workerId), workerId);
        return agent;
    }

    /** Connects announcing the {@code batches} feature, and subscribes to the batch queues too. */
    static TestAgent connectSpeakingBatches(int port, List<String> taskTypes) {
        String workerId = "w-" + UUID.randomUUID();
        TestAgent agent = new TestAgent(workerId, taskTypes, true);
        agent.open(port, TestTokens.shared().worker(workerId), workerId);
        return agent;
    }

    /** Connects as the same worker again, as an agent does after losing its connection. */
    static TestAgent reconnect(int port, String workerId, List<String> taskTypes) {
        TestAgent agent = new TestAgent(workerId, taskTypes, false);
        agent.open(port, TestTokens.shared().worker(workerId), workerId);
        return agent;
    }

    /** Tries to connect with the given token and worker-id header; answers the ERROR frame's message. */
    static String refusedConnect(int port, @Nullable String token, String workerIdHeader) {
        TestAgent agent = new TestAgent(workerIdHeader, List.of(), false);
        CompletableFuture<StompSession> future = agent.connectAsync(port, token, workerIdHeader);
        try {
            String error = agent.errorFrames.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            assertThat(error).as("ERROR frame for a refused CONNECT").isNotNull();
            assertThat(future.isDone() && !future.isCompletedExceptionally()).as("connected").isFalse();
            return error;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            future.cancel(true);
            agent.client.stop();
        }
    }

    private void open(int port, String token, String workerIdHeader) {
        try {
            session = connectAsync(port, token, workerIdHeader).get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Cannot connect: " + errorFrames.peek(), e);
        }
        subscribe(AgentDestinations.ASSIGNMENTS, TaskAssignment.class, assignments);
        subscribe(AgentDestinations.CANCELLATIONS, TaskCancellation.class, cancellations);
        subscribe(AgentDestinations.RECEIPTS, CompletionReceipt.class, receipts);
        subscribe(AgentDestinations.ERRORS, ProtocolError.class, errors);
        subscribe(AgentDestinations.SUBMISSIONS, ChildSubmitted.class, submissions);
        subscribe(AgentDestinations.CHILDREN, ChildFinished.class, childrenFinished);
        if (speaksBatches) {
            subscribe(AgentDestinations.ASSIGNMENT_BATCHES, TaskAssignments.class, assignmentBatches);
            subscribe(AgentDestinations.RECEIPT_BATCHES, CompletionReceipts.class, receiptBatches);
        }
    }

    private CompletableFuture<StompSession> connectAsync(int port, @Nullable String token, String workerIdHeader) {
        StompHeaders connect = new StompHeaders();
        if (token != null) {
            connect.add(AgentDestinations.AUTHORIZATION_HEADER, "Bearer " + token);
        }
        connect.add(AgentDestinations.WORKER_ID_HEADER, workerIdHeader);
        if (speaksBatches) {
            connect.add(AgentDestinations.FEATURES_HEADER, "future-feature, " + AgentDestinations.FEATURE_BATCHES);
        }
        return client.connectAsync("ws://127.0.0.1:" + port + AgentDestinations.ENDPOINT, new WebSocketHttpHeaders(),
                connect, new StompSessionHandlerAdapter() {
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

    private <T> void subscribe(String queue, Class<T> type, BlockingQueue<T> into) {
        session().subscribe(AgentDestinations.USER_PREFIX + queue, new StompFrameHandler() {
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

    /** Subscribes to any destination, as a misbehaving agent would; what arrives is ignored. */
    void subscribeTo(String destination) {
        session().subscribe(destination, new StompFrameHandler() {
            @Override
            public Type getPayloadType(StompHeaders headers) {
                return byte[].class;
            }

            @Override
            public void handleFrame(StompHeaders headers, @Nullable Object payload) {
                // not expected to arrive: the subscription is refused
            }
        });
    }

    TestAgent withCapabilities(int cpus, List<Long> gpuMemoryMb, List<String> labels) {
        List<Gpu> gpus = gpuMemoryMb.stream().map(mb -> new Gpu(0, "Test GPU", mb, null)).toList();
        capabilities = new Capabilities(cpus, capabilities.memoryMb(), gpus, capabilities.taskTypes(), labels,
                capabilities.slots(), capabilities.hostname(), capabilities.agentVersion());
        return this;
    }

    List<String> types() {
        return capabilities.taskTypes();
    }

    void heartbeat(int freeSlots, RunningAttempt... running) {
        send(AgentDestinations.HEARTBEAT, new Heartbeat(capabilities, List.of(running), freeSlots, Instant.now()));
    }

    void started(TaskAssignment assignment) {
        send(AgentDestinations.STARTED, new TaskStarted(assignment.taskId(), assignment.attempt(), Instant.now()));
    }

    void progress(TaskAssignment assignment, @Nullable Integer percent, String stage, Instant at) {
        send(AgentDestinations.PROGRESS, new TaskProgress(assignment.taskId(), assignment.attempt(), percent, stage,
                null, at));
    }

    void complete(UUID taskId, int attempt, Outcome outcome, @Nullable String error, boolean retryable) {
        send(AgentDestinations.COMPLETE, completion(taskId, attempt, outcome, error, retryable));
    }

    static TaskCompletion completion(UUID taskId, int attempt, Outcome outcome, @Nullable String error,
                                     boolean retryable) {
        return new TaskCompletion(taskId, attempt, outcome, outcome == Outcome.SUCCEEDED ? 0 : 1, error, retryable,
                List.of(), Instant.now(), null, null);
    }

    /** A success with its output JSON inline, as a handler's agent sends it. */
    void succeedWithOutput(UUID taskId, int attempt, String outputJson) {
        send(AgentDestinations.COMPLETE, new TaskCompletion(taskId, attempt, Outcome.SUCCEEDED, null, null, false,
                List.of(), Instant.now(), null, WireJson.mapper().readTree(outputJson)));
    }

    /** Submits a child of a task this agent runs; the answer arrives on {@link #submissions}. */
    void submitChild(UUID parentTaskId, int parentAttempt, String requestId, String taskJson) {
        send(AgentDestinations.SUBMIT, new ChildSubmission(parentTaskId, parentAttempt, requestId,
                WireJson.mapper().readTree(taskJson)));
    }

    ChildSubmitted nextSubmitted() {
        return next(submissions, "child submission answer");
    }

    ChildFinished nextChildFinished() {
        return next(childrenFinished, "child finished notice");
    }

    void send(String destination, Object payload) {
        session().send(destination, payload);
    }

    TaskAssignment nextAssignment() {
        return next(assignments, "assignment");
    }

    CompletionReceipt nextReceipt() {
        return next(receipts, "completion receipt");
    }

    static <T> T next(BlockingQueue<T> queue, String what) {
        try {
            T item = queue.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            assertThat(item).as("no " + what + " within " + WAIT_SECONDS + " s").isNotNull();
            return item;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Waits for the server to close the session (e.g. after an ERROR frame) and answers the ERROR's message. */
    String nextErrorFrame() {
        return next(errorFrames, "ERROR frame");
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
