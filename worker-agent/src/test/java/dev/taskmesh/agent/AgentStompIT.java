package dev.taskmesh.agent;

import static dev.taskmesh.agent.FakeTaskServiceServer.receivedOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.taskmesh.agent.FakeTaskServiceServer.Received;
import dev.taskmesh.agent.connection.AgentConnection;
import dev.taskmesh.agent.connection.OutputUploader;
import dev.taskmesh.agent.connection.ServerAddress;
import dev.taskmesh.agent.connection.StubHttpServer;
import dev.taskmesh.agent.connection.TokenSource;
import dev.taskmesh.agent.execution.TaskExecutor;
import dev.taskmesh.contract.WireJson;
import dev.taskmesh.contract.agent.AgentDestinations;
import dev.taskmesh.contract.agent.Capabilities;
import dev.taskmesh.contract.agent.Heartbeat;
import dev.taskmesh.contract.agent.LogLine;
import dev.taskmesh.contract.agent.Outcome;
import dev.taskmesh.contract.agent.OutputFile;
import dev.taskmesh.contract.agent.RunningAttempt;
import dev.taskmesh.contract.agent.ProtocolError;
import dev.taskmesh.contract.agent.TaskAssignment;
import dev.taskmesh.contract.agent.TaskAssignments;
import dev.taskmesh.contract.agent.TaskCancellation;
import dev.taskmesh.contract.agent.TaskCompletion;
import dev.taskmesh.contract.agent.TaskLog;
import dev.taskmesh.contract.agent.TaskProgress;
import dev.taskmesh.contract.agent.TaskStarted;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.node.ObjectNode;

/** The connected agent against a real STOMP server and a stub upload endpoint. */
class AgentStompIT {

    private static final String WORKER = "0b6b7c1e-2f4a-4d6b-8e9f-0a1b2c3d4e5f";

    @TempDir
    Path temp;

    private FakeTaskServiceServer server;
    private StubHttpServer uploads;
    private Agent agent;
    private Thread agentThread;
    private final AtomicInteger tokensIssued = new AtomicInteger();

    @BeforeEach
    void start() throws Exception {
        server = new FakeTaskServiceServer(temp.resolve("tomcat"));
        uploads = new StubHttpServer();
        TokenSource tokens = new TokenSource() {
            @Override
            public String current() {
                return "jwt-" + Math.max(1, tokensIssued.get());
            }

            @Override
            public String refresh() {
                return "jwt-" + tokensIssued.incrementAndGet();
            }
        };
        tokensIssued.set(1);
        TaskExecutor executor = new TaskExecutor(List.of(), Duration.ofSeconds(2));
        Capabilities capabilities = new Capabilities(2, 1024, List.of(), executor.taskTypes(), List.of("test"), 2,
                "test-host", "dev");
        // 2 slots and a prefetch of 1: the agent takes up to 3 tasks
        agent = new Agent(capabilities, Prefetch.fixed(1), temp.resolve("work"), executor,
                new OutputUploader(HttpClient.newHttpClient(), uploads.address(), tokens, Duration.ofMillis(10)),
                Clock.systemUTC(), ChildTaskRegistry.DEFAULT_RESYNC);
        AgentConnection connection = new AgentConnection(ServerAddress.parse(server.url()), WORKER, tokens, agent);
        agentThread = Thread.ofVirtual().start(() -> agent.run(connection, Duration.ofMillis(300)));
    }

    @AfterEach
    void stop() throws Exception {
        agent.close();
        agentThread.join(Duration.ofSeconds(10));
        uploads.close();
        server.close();
    }

    @Test
    void connectsWithTheTokenAndSendsAHeartbeatFirst() {
        await().atMost(Duration.ofSeconds(20)).until(() -> receivedOf(Heartbeat.class).size() >= 2);

        Map<String, List<String>> connect = FakeTaskServiceServer.connectHeaders.getFirst();
        assertThat(connect.get("Authorization")).containsExactly("Bearer jwt-1");
        assertThat(connect.get("worker-id")).containsExactly(WORKER);
        assertThat(connect.get(AgentDestinations.FEATURES_HEADER)).containsExactly(AgentDestinations.FEATURE_BATCHES);
        assertThat(FakeTaskServiceServer.received.getFirst().destination()).isEqualTo(AgentDestinations.HEARTBEAT);
        Heartbeat first = receivedOf(Heartbeat.class).getFirst();
        assertThat(first.freeSlots()).as("2 slots + a prefetch of 1").isEqualTo(3);
        assertThat(first.capabilities().slots()).isEqualTo(2);
        assertThat(first.running()).isEmpty();
        assertThat(first.capabilities().taskTypes()).containsExactly("command");
    }

    @Test
    void runsAnAssignmentAndReportsStartProgressLogUploadsAndCompletion() {
        await().atMost(Duration.ofSeconds(20)).until(() -> !receivedOf(Heartbeat.class).isEmpty());
        UUID taskId = UUID.randomUUID();

        server.template().convertAndSendToUser(WORKER, AgentDestinations.ASSIGNMENTS, assignment(taskId, """
                echo "::progress 50 Half"
                for i in $(seq 1 2000); do echo "line $i with some padding to make the batches bigger"; done
                echo hi > "$TASKMESH_OUTPUT_DIR/out.txt"
                """, null));

        await().atMost(Duration.ofSeconds(30)).until(() -> !receivedOf(TaskCompletion.class).isEmpty());
        TaskCompletion completion = receivedOf(TaskCompletion.class).getFirst();
        assertThat(completion.taskId()).isEqualTo(taskId);
        assertThat(completion.outcome()).isEqualTo(Outcome.SUCCEEDED);
        assertThat(completion.exitCode()).isZero();
        assertThat(completion.files()).containsExactly(new OutputFile("out.txt", 3,
                "98ea6e4f216f2fb4b69fff9b3a44842c38686ca685f3f55dc48c5d3fb1107be4"));
        assertThat(uploads.requests).extracting(StubHttpServer.Request::rawPath).containsExactly(
                "/api/v1/tasks/" + taskId + "/attempts/1/files/out.txt", "/api/v1/tasks/" + taskId + "/attempts/1/log");

        List<String> order = FakeTaskServiceServer.received.stream().map(Received::destination)
                .filter(destination -> !destination.equals(AgentDestinations.HEARTBEAT)).toList();
        assertThat(order.getFirst()).isEqualTo(AgentDestinations.STARTED);
        assertThat(order.getLast()).isEqualTo(AgentDestinations.COMPLETE);
        assertThat(receivedOf(TaskStarted.class)).hasSize(1);
        assertThat(receivedOf(TaskProgress.class)).extracting(TaskProgress::percent, TaskProgress::stage)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(50, "Half"));
        List<LogLine> lines = receivedOf(TaskLog.class).stream().flatMap(log -> log.lines().stream()).toList();
        assertThat(lines).extracting(LogLine::seq)
                .containsExactlyElementsOf(LongStream.rangeClosed(1, lines.size()).boxed().toList());
        assertThat(lines).extracting(LogLine::text).contains("line 1 with some padding to make the batches bigger",
                "line 2000 with some padding to make the batches bigger");
        assertThat(receivedOf(TaskLog.class)).allSatisfy(log -> assertThat(log.lines()).hasSizeLessThanOrEqualTo(500));

        // the receipt ends the agent's hold on the attempt, and takes its folder
        int seen = receivedOf(Heartbeat.class).size();
        await().atMost(Duration.ofSeconds(10)).until(() -> receivedOf(Heartbeat.class).size() > seen
                && receivedOf(Heartbeat.class).getLast().running().isEmpty());
        await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(temp.resolve("work").resolve(taskId + "-1")));
    }

    @Test
    void cancelsARunningAttempt() {
        await().atMost(Duration.ofSeconds(20)).until(() -> !receivedOf(Heartbeat.class).isEmpty());
        UUID taskId = UUID.randomUUID();
        server.template().convertAndSendToUser(WORKER, AgentDestinations.ASSIGNMENTS,
                assignment(taskId, "echo waiting; sleep 1000", null));
        await().atMost(Duration.ofSeconds(20)).until(() -> receivedOf(Heartbeat.class).getLast().running()
                .contains(new RunningAttempt(taskId, 1)) && !receivedOf(TaskLog.class).isEmpty());
        assertThat(receivedOf(Heartbeat.class).getLast().freeSlots()).as("2 slots + 1 prefetched - 1 held").isEqualTo(2);

        server.template().convertAndSendToUser(WORKER, AgentDestinations.CANCELLATIONS,
                new TaskCancellation(taskId, 1, "cancelled by alice"));
        // as the real server answers the log lines of the cancelled task: the attempt must still upload and complete
        server.template().convertAndSendToUser(WORKER, AgentDestinations.ERRORS, new ProtocolError(
                Agent.STALE_ATTEMPT, "task " + taskId + " is already CANCELLED", taskId, 1));

        await().atMost(Duration.ofSeconds(20)).until(() -> !receivedOf(TaskCompletion.class).isEmpty());
        TaskCompletion completion = receivedOf(TaskCompletion.class).getFirst();
        assertThat(completion.outcome()).isEqualTo(Outcome.CANCELLED);
        assertThat(completion.error()).isEqualTo("cancelled: cancelled by alice");
        assertThat(uploads.requests).extracting(StubHttpServer.Request::rawPath)
                .containsExactly("/api/v1/tasks/" + taskId + "/attempts/1/log");
        assertThat(uploads.requests.getFirst().text()).contains("waiting");
    }

    @Test
    void runsTheAssignmentsOfABatchAndIsReleasedByABatchOfReceipts() {
        await().atMost(Duration.ofSeconds(20)).until(() -> !receivedOf(Heartbeat.class).isEmpty());
        List<TaskAssignment> batch = List.of(assignment(UUID.randomUUID(), "echo 1", null),
                assignment(UUID.randomUUID(), "echo 2", null), assignment(UUID.randomUUID(), "echo 3", null));

        server.template().convertAndSendToUser(WORKER, AgentDestinations.ASSIGNMENT_BATCHES,
                new TaskAssignments(batch));

        await().atMost(Duration.ofSeconds(30)).until(() -> receivedOf(TaskCompletion.class).size() == 3);
        assertThat(receivedOf(TaskCompletion.class)).extracting(TaskCompletion::taskId)
                .containsExactlyInAnyOrderElementsOf(batch.stream().map(TaskAssignment::taskId).toList());
        assertThat(receivedOf(TaskCompletion.class)).allSatisfy(c -> assertThat(c.outcome()).isEqualTo(Outcome.SUCCEEDED));
        // whether completions share a frame depends on how many are ready together (CompletionOutboxTests); the
        // receipts, whichever way they came, end the agent's hold on every attempt
        int seen = receivedOf(Heartbeat.class).size();
        await().atMost(Duration.ofSeconds(10)).until(() -> receivedOf(Heartbeat.class).size() > seen
                && receivedOf(Heartbeat.class).getLast().running().isEmpty());
    }

    @Test
    void reconnectsWithANewTokenAndSendsAnUnacknowledgedCompletionAgain() throws Exception {
        await().atMost(Duration.ofSeconds(20)).until(() -> !receivedOf(Heartbeat.class).isEmpty());
        FakeTaskServiceServer.answerCompletions.set(false);
        UUID taskId = UUID.randomUUID();
        server.template().convertAndSendToUser(WORKER, AgentDestinations.ASSIGNMENTS,
                assignment(taskId, "echo done", null));
        await().atMost(Duration.ofSeconds(20)).until(() -> receivedOf(TaskCompletion.class).size() == 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> receivedOf(Heartbeat.class).getLast().running()
                .contains(new RunningAttempt(taskId, 1)));
        FakeTaskServiceServer.answerCompletions.set(true);
        int before = FakeTaskServiceServer.received.size();

        FakeTaskServiceServer.dropConnections();

        await().atMost(Duration.ofSeconds(30)).until(() -> receivedOf(TaskCompletion.class).size() == 2);
        assertThat(FakeTaskServiceServer.connectHeaders).hasSize(2);
        assertThat(FakeTaskServiceServer.connectHeaders.get(1).get("Authorization")).containsExactly("Bearer jwt-2");
        List<Received> afterReconnect = FakeTaskServiceServer.received.subList(before,
                FakeTaskServiceServer.received.size());
        assertThat(afterReconnect.getFirst().payload()).isInstanceOfSatisfying(Heartbeat.class,
                heartbeat -> assertThat(heartbeat.running()).containsExactly(new RunningAttempt(taskId, 1)));
        assertThat(receivedOf(TaskCompletion.class).get(1)).isEqualTo(receivedOf(TaskCompletion.class).get(0));
        await().atMost(Duration.ofSeconds(10)).until(() -> receivedOf(Heartbeat.class).getLast().running().isEmpty());
    }

    private static TaskAssignment assignment(UUID taskId, String script, Integer timeoutSeconds) {
        ObjectNode input = WireJson.mapper().createObjectNode();
        input.putArray("argv").add("bash").add("-c").add(script);
        return new TaskAssignment(taskId, 1, "command", input, timeoutSeconds, "alice", Instant.now(), Map.of());
    }
}
