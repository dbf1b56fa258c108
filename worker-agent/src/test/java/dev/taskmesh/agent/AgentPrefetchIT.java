package dev.taskmesh.agent;

import static dev.taskmesh.agent.FakeTaskServiceServer.receivedOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.taskmesh.agent.connection.AgentConnection;
import dev.taskmesh.agent.connection.OutputUploader;
import dev.taskmesh.agent.connection.ServerAddress;
import dev.taskmesh.agent.connection.StubHttpServer;
import dev.taskmesh.agent.connection.TokenSource;
import dev.taskmesh.agent.execution.TaskExecutor;
import dev.taskmesh.agent.handler.NoopHandler;
import dev.taskmesh.contract.WireJson;
import dev.taskmesh.contract.agent.AgentDestinations;
import dev.taskmesh.contract.agent.Capabilities;
import dev.taskmesh.contract.agent.Heartbeat;
import dev.taskmesh.contract.agent.Outcome;
import dev.taskmesh.contract.agent.TaskAssignment;
import dev.taskmesh.contract.agent.TaskCompletion;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.node.ObjectNode;

/**
 * An agent with the adaptive prefetch against a real STOMP server: it tells the server of a changed prefetch in a
 * heartbeat of its own, long before the next one is due.
 */
class AgentPrefetchIT {

    private static final String WORKER = "5d1e0c2a-7b3f-4c8e-9a6d-1f2e3d4c5b6a";
    /** Longer than the test: every heartbeat after the first is one sent early. */
    private static final Duration HEARTBEAT_INTERVAL = Duration.ofHours(1);
    private static final int SLOTS = 2;
    private static final int MAX = 8;

    @TempDir
    Path temp;

    private FakeTaskServiceServer server;
    private StubHttpServer uploads;
    private Agent agent;
    private Thread agentThread;

    @BeforeEach
    void start() throws Exception {
        server = new FakeTaskServiceServer(temp.resolve("tomcat"));
        uploads = new StubHttpServer();
        TokenSource tokens = new TokenSource() {
            @Override
            public String current() {
                return "jwt";
            }

            @Override
            public String refresh() {
                return "jwt";
            }
        };
        TaskExecutor executor = new TaskExecutor(List.of(new NoopHandler()), Duration.ofSeconds(2));
        Capabilities capabilities = new Capabilities(2, 1024, List.of(), executor.taskTypes(), List.of(), SLOTS,
                "test-host", "dev");
        // a window of 200 ms: a no-op task fills it, a task of a second does not
        agent = new Agent(capabilities, Prefetch.adaptive(SLOTS, Duration.ofMillis(200), MAX), temp.resolve("work"),
                executor, new OutputUploader(HttpClient.newHttpClient(), uploads.address(), tokens,
                Duration.ofMillis(10)), Clock.systemUTC(), ChildTaskRegistry.DEFAULT_RESYNC);
        AgentConnection connection = new AgentConnection(ServerAddress.parse(server.url()), WORKER, tokens, agent);
        agentThread = Thread.ofVirtual().start(() -> agent.run(connection, HEARTBEAT_INTERVAL));
        await().atMost(Duration.ofSeconds(20)).until(() -> !receivedOf(Heartbeat.class).isEmpty());
    }

    @AfterEach
    void stop() throws Exception {
        agent.close();
        agentThread.join(Duration.ofSeconds(10));
        uploads.close();
        server.close();
    }

    @Test
    void announcesADeeperPrefetchAfterShortTasksAndNoneOnceTasksTakeLonger() {
        assertThat(receivedOf(Heartbeat.class).getFirst().freeSlots()).as("no prefetch before any task").isEqualTo(SLOTS);

        // no-op tasks until the pace is known: the first ones are slow while the JVM compiles their path
        AtomicInteger assigned = new AtomicInteger();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
            assign(noop());
            assigned.incrementAndGet();
            return receivedOf(Heartbeat.class).getLast().freeSlots() > SLOTS + MAX / 2;
        });
        assertThat(receivedOf(Heartbeat.class).size()).as("heartbeats sent early, none due").isGreaterThan(1);

        // a task of 3 s: the moving average passes the 400 ms of slot time that two slots run in the window
        await().atMost(Duration.ofSeconds(20)).until(() -> receivedOf(TaskCompletion.class).size() == assigned.get());
        assign(command("sleep 3"));
        await().atMost(Duration.ofSeconds(30)).until(() -> receivedOf(TaskCompletion.class).size() == assigned.get() + 1
                && receivedOf(Heartbeat.class).getLast().freeSlots() == SLOTS);
        assertThat(receivedOf(TaskCompletion.class)).extracting(TaskCompletion::outcome)
                .containsOnly(Outcome.SUCCEEDED);
    }

    private void assign(TaskAssignment assignment) {
        server.template().convertAndSendToUser(WORKER, AgentDestinations.ASSIGNMENTS, assignment);
    }

    private TaskAssignment noop() {
        return new TaskAssignment(UUID.randomUUID(), 1, NoopHandler.TYPE, WireJson.mapper().createObjectNode(), null,
                "alice", Instant.now(), Map.of());
    }

    private TaskAssignment command(String script) {
        ObjectNode input = WireJson.mapper().createObjectNode();
        input.putArray("argv").add("bash").add("-c").add(script);
        return new TaskAssignment(UUID.randomUUID(), 1, "command", input, null, "alice", Instant.now(), Map.of());
    }
}
