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
import dev.taskmesh.agent.handler.ChildResult;
import dev.taskmesh.agent.handler.ChildTaskException;
import dev.taskmesh.agent.handler.Requirements;
import dev.taskmesh.agent.handler.TaskContext;
import dev.taskmesh.agent.handler.TaskHandler;
import dev.taskmesh.agent.handler.TaskOutcome;
import dev.taskmesh.contract.WireJson;
import dev.taskmesh.contract.agent.AgentDestinations;
import dev.taskmesh.contract.agent.Capabilities;
import dev.taskmesh.contract.agent.ChildFinished;
import dev.taskmesh.contract.agent.ChildSubmission;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Child tasks of the connected agent against a real STOMP server: {@link TaskContext#submitChild},
 * {@link TaskContext#awaitChildren} and the {@code ::submit} lines of commands.
 */
class AgentChildTasksIT {

    private static final String WORKER = "5c0d8f2e-7a1b-4c3d-9e8f-1a2b3c4d5e6f";
    private static final String INITIATOR = "initiator";

    @TempDir
    Path temp;

    private FakeTaskServiceServer server;
    private StubHttpServer uploads;
    private Agent agent;
    private Thread agentThread;

    /** Submits {@code input.types} children (one per type), waits for them, and outputs how they ended. */
    static final class Initiator implements TaskHandler {

        @Override
        public String type() {
            return INITIATOR;
        }

        @Override
        public TaskOutcome handle(TaskContext task) throws Exception {
            ObjectNode output = WireJson.mapper().createObjectNode();
            ArrayNode submitted = output.putArray("submitted");
            try {
                for (JsonNode type : task.input().get("types")) {
                    ObjectNode input = WireJson.mapper().createObjectNode();
                    input.putArray("argv").add("echo").add(type.asString());
                    submitted.add(task.submitChild(type.asString(), input, Requirements.labels("gpu")).toString());
                }
            } catch (ChildTaskException e) {
                return TaskOutcome.failed(e.getMessage(), false);
            }
            ArrayNode ended = output.putArray("ended");
            for (ChildResult child : task.awaitChildren(Duration.ofSeconds(60))) {
                ended.addObject().put("id", child.id().toString()).put("status", child.status())
                        .put("workerId", child.workerId());
            }
            return TaskOutcome.succeeded(output);
        }
    }

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
        TaskExecutor executor = new TaskExecutor(List.of(new Initiator()), Duration.ofSeconds(2));
        Capabilities capabilities = new Capabilities(2, 1024, List.of(), executor.taskTypes(), List.of(), 2,
                "test-host", "dev");
        agent = new Agent(capabilities, Prefetch.fixed(0), temp.resolve("work"), executor,
                new OutputUploader(HttpClient.newHttpClient(), uploads.address(), tokens, Duration.ofMillis(10)),
                Clock.systemUTC(), Duration.ofSeconds(30));
        AgentConnection connection = new AgentConnection(ServerAddress.parse(server.url()), WORKER, tokens, agent);
        agentThread = Thread.ofVirtual().start(() -> agent.run(connection, Duration.ofMillis(300)));
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
    void aHandlerSubmitsChildrenAndWaitsUntilTheyHaveEnded() {
        UUID taskId = UUID.randomUUID();
        assign(taskId, INITIATOR, "{\"types\": [\"command\", \"thumbnail\"]}");

        await().atMost(Duration.ofSeconds(20)).until(() -> receivedOf(ChildSubmission.class).size() == 2);
        List<ChildSubmission> submissions = receivedOf(ChildSubmission.class);
        assertThat(submissions).extracting(ChildSubmission::parentTaskId).containsOnly(taskId);
        assertThat(submissions).extracting(ChildSubmission::parentAttempt).containsOnly(1);
        assertThat(submissions).extracting(ChildSubmission::requestId)
                .containsExactly(taskId + "/1/1", taskId + "/1/2");
        JsonNode first = submissions.getFirst().task();
        assertThat(first.get("type").asString()).isEqualTo("command");
        assertThat(first.get("input").get("argv").get(1).asString()).isEqualTo("command");
        assertThat(first.get("requirements").get("labels").get(0).asString()).isEqualTo("gpu");
        assertThat(receivedOf(TaskCompletion.class)).as("waits for its children").isEmpty();

        UUID firstChild = FakeTaskServiceServer.childIdOf(taskId + "/1/1");
        UUID secondChild = FakeTaskServiceServer.childIdOf(taskId + "/1/2");
        // notices for another task and in any order change nothing for this one
        childFinished(new ChildFinished(UUID.randomUUID(), firstChild, "FAILED", "elsewhere", "w-0"));
        childFinished(new ChildFinished(taskId, secondChild, "FAILED", "exit code 1", "w-2"));
        childFinished(new ChildFinished(taskId, firstChild, "SUCCEEDED", null, "w-1"));

        TaskCompletion completion = completion();
        assertThat(completion.outcome()).isEqualTo(Outcome.SUCCEEDED);
        // a handler's small output travels inside the completion: nothing is uploaded for it
        assertThat(uploads.requests).isEmpty();
        JsonNode output = completion.output();
        assertThat(output).isNotNull();
        assertThat(output.get("submitted")).extracting(JsonNode::asString)
                .containsExactly(firstChild.toString(), secondChild.toString());
        assertThat(output.get("ended").get(0).get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(output.get("ended").get(0).get("workerId").asString()).isEqualTo("w-1");
        assertThat(output.get("ended").get(1).get("status").asString()).isEqualTo("FAILED");
        assertThat(output.get("ended").get(1).get("workerId").asString()).isEqualTo("w-2");
    }

    @Test
    void sendsUnfinishedChildSubmissionsAgainAfterAReconnect() throws Exception {
        UUID taskId = UUID.randomUUID();
        assign(taskId, INITIATOR, "{\"types\": [\"command\"]}");
        await().atMost(Duration.ofSeconds(20)).until(() -> receivedOf(ChildSubmission.class).size() == 1);

        FakeTaskServiceServer.dropConnections();

        await().atMost(Duration.ofSeconds(30)).until(() -> receivedOf(ChildSubmission.class).size() == 2);
        assertThat(receivedOf(ChildSubmission.class).get(1)).isEqualTo(receivedOf(ChildSubmission.class).get(0));
        await().atMost(Duration.ofSeconds(10)).until(() -> FakeTaskServiceServer.connectHeaders.size() == 2);
        childFinished(new ChildFinished(taskId, FakeTaskServiceServer.childIdOf(taskId + "/1/1"), "SUCCEEDED", null,
                "w-1"));

        assertThat(completion().outcome()).isEqualTo(Outcome.SUCCEEDED);
    }

    @Test
    void aRefusedChildFailsItsSubmission() {
        UUID taskId = UUID.randomUUID();
        assign(taskId, INITIATOR, "{\"types\": [\"" + FakeTaskServiceServer.REFUSED_CHILD_TYPE + "\"]}");

        TaskCompletion completion = completion();
        assertThat(completion.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(completion.error()).isEqualTo("child task refused: input.argv must be a non-empty array");
    }

    @Test
    void aCommandSubmitsAChildWithASubmitLine() {
        UUID taskId = UUID.randomUUID();
        ObjectNode input = WireJson.mapper().createObjectNode();
        input.putArray("argv").add("bash").add("-c").add("""
                echo '::submit {"type": "command", "input": {"argv": ["echo", "child"]}}'
                echo '::submit {oops'
                """);
        server.template().convertAndSendToUser(WORKER, AgentDestinations.ASSIGNMENTS,
                new TaskAssignment(taskId, 1, "command", input, null, "alice", Instant.now(), Map.of()));

        TaskCompletion completion = completion();
        assertThat(completion.outcome()).isEqualTo(Outcome.SUCCEEDED);
        List<ChildSubmission> submissions = receivedOf(ChildSubmission.class);
        assertThat(submissions).hasSize(1);
        assertThat(submissions.getFirst().task().get("input").get("argv").get(1).asString()).isEqualTo("child");
        String log = uploads.requests.stream().filter(r -> r.rawPath().endsWith("/log")).findFirst().orElseThrow()
                .text();
        assertThat(log).contains("[taskmesh] submitted child task "
                + FakeTaskServiceServer.childIdOf(taskId + "/1/1") + " (command)");
        assertThat(log).contains("[taskmesh] ignored a ::submit line: not JSON");
    }

    private void assign(UUID taskId, String type, String inputJson) {
        server.template().convertAndSendToUser(WORKER, AgentDestinations.ASSIGNMENTS, new TaskAssignment(taskId, 1,
                type, WireJson.mapper().readTree(inputJson), null, "alice", Instant.now(), Map.of()));
    }

    private void childFinished(ChildFinished finished) {
        server.template().convertAndSendToUser(WORKER, AgentDestinations.CHILDREN, finished);
    }

    private static TaskCompletion completion() {
        await().atMost(Duration.ofSeconds(30)).until(() -> !receivedOf(TaskCompletion.class).isEmpty());
        return receivedOf(TaskCompletion.class).getFirst();
    }
}
