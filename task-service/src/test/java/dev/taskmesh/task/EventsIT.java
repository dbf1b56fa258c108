package dev.taskmesh.task;

import static dev.taskmesh.task.TestPerson.next;
import static dev.taskmesh.task.TestPerson.nextWithStatus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.contract.agent.AgentDestinations;
import dev.taskmesh.contract.agent.LogLine;
import dev.taskmesh.contract.agent.LogStream;
import dev.taskmesh.contract.agent.Outcome;
import dev.taskmesh.contract.agent.RunningAttempt;
import dev.taskmesh.contract.agent.TaskAssignment;
import dev.taskmesh.contract.agent.TaskLog;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Live events for people on {@code /ws/events}, driven by real STOMP clients: people subscribe as a page would,
 * test agents run the tasks. Each test uses users and task types of its own.
 */
class EventsIT extends IntegrationTestBase {

    private final List<AutoCloseable> clients = new ArrayList<>();

    @AfterEach
    void disconnect() throws Exception {
        for (AutoCloseable client : clients) {
            try {
                client.close();
            } catch (RuntimeException e) {
                // the server closed this session already (a refused frame), so DISCONNECT cannot be sent
            }
        }
    }

    private TestPerson person(String token) {
        TestPerson person = TestPerson.connect(port, token);
        clients.add(person);
        return person;
    }

    private TestAgent agent(String... taskTypes) {
        TestAgent agent = TestAgent.connect(port, List.of(taskTypes));
        clients.add(agent);
        return agent;
    }

    private static String unique(String name) {
        return name + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private String submitTask(String token, String type) {
        return submit(token, "{\"type\": \"" + type + "\"}").get("id").asString();
    }

    @Test
    void ownerFollowsStatusProgressAndLogOfTheirTaskAfterASnapshot() {
        String alice = userToken(unique("alice"));
        String type = uniqueType();
        String id = submitTask(alice, type);
        TestPerson page = person(alice);
        BlockingQueue<JsonNode> status = page.subscribe("/topic/tasks/" + id);
        BlockingQueue<JsonNode> log = page.subscribe("/topic/tasks/" + id + "/log");
        BlockingQueue<JsonNode> mine = page.subscribe("/user/queue/tasks");

        JsonNode snapshot = next(page.subscribe("/app/tasks/" + id), "snapshot");
        assertThat(snapshot.get("id").asString()).isEqualTo(id);
        assertThat(snapshot.get("status").asString()).isEqualTo("QUEUED");
        assertThat(snapshot.get("type").asString()).isEqualTo(type);
        assertThat(snapshot.get("attempts").isArray()).isTrue();

        TestAgent agent = agent(type);
        agent.heartbeat(1);
        TaskAssignment assignment = agent.nextAssignment();
        nextWithStatus(status, id, "ASSIGNED");
        agent.started(assignment);
        nextWithStatus(status, id, "RUNNING");
        agent.progress(assignment, 50, "Halfway", Instant.now());
        JsonNode progress = next(status, "progress");
        assertThat(progress.get("progress").get("percent").asInt()).isEqualTo(50);
        assertThat(progress.get("progress").get("stage").asString()).isEqualTo("Halfway");

        agent.send(AgentDestinations.LOG, new TaskLog(assignment.taskId(), assignment.attempt(),
                List.of(new LogLine(1, Instant.now(), LogStream.STDOUT, "hello from the task"))));
        JsonNode lines = next(log, "log lines");
        assertThat(lines.get("taskId").asString()).isEqualTo(id);
        assertThat(lines.get("lines").get(0).get("text").asString()).isEqualTo("hello from the task");

        agent.complete(assignment.taskId(), assignment.attempt(), Outcome.SUCCEEDED, null, false);
        nextWithStatus(status, id, "SUCCEEDED");

        // the owner's queue has every status change, with what a task list shows
        JsonNode assigned = nextWithStatus(mine, id, "ASSIGNED");
        assertThat(assigned.get("previous").asString()).isEqualTo("QUEUED");
        assertThat(assigned.get("workerId").asString()).isEqualTo(agent.workerId);
        assertThat(assigned.get("type").asString()).isEqualTo(type);
        nextWithStatus(mine, id, "RUNNING");
        JsonNode done = nextWithStatus(mine, id, "SUCCEEDED");
        assertThat(done.get("finishedAt").isNull()).isFalse();
    }

    @Test
    void refusesSubscriptionsToAnotherUsersTaskButKeepsTheSession() {
        String alice = userToken(unique("alice"));
        String id = submitTask(alice, uniqueType());
        TestPerson bob = person(userToken(unique("bob")));
        BlockingQueue<JsonNode> errors = bob.subscribe("/user/queue/errors");

        BlockingQueue<JsonNode> stolen = bob.subscribe("/topic/tasks/" + id);
        JsonNode refused = next(errors, "refusal");
        assertThat(refused.get("code").asString()).isEqualTo("FORBIDDEN");
        assertThat(refused.get("destination").asString()).isEqualTo("/topic/tasks/" + id);
        bob.subscribe("/topic/tasks/" + id + "/log");
        assertThat(next(errors, "refusal of the log").get("code").asString()).isEqualTo("FORBIDDEN");
        BlockingQueue<JsonNode> stolenSnapshot = bob.subscribe("/app/tasks/" + id);
        assertThat(next(errors, "refusal of the snapshot").get("code").asString()).isEqualTo("FORBIDDEN");
        bob.subscribe("/topic/tasks/" + UUID.randomUUID());
        assertThat(next(errors, "unknown task").get("code").asString()).isEqualTo("NOT_FOUND");

        // an admin may follow anyone's task; the refused subscriptions get nothing
        TestPerson admin = person(TOKENS.admin(unique("admin"), "Admin"));
        BlockingQueue<JsonNode> watched = admin.subscribe("/topic/tasks/" + id);
        assertThat(next(admin.subscribe("/app/tasks/" + id), "admin snapshot").get("id").asString()).isEqualTo(id);
        assertThat(post(ApiPaths.TASKS + "/" + id + "/cancel", alice, "").status()).isEqualTo(200);
        nextWithStatus(watched, id, "CANCELLED");
        // bob's session is still open and answers, and it got nothing of the task
        assertThat(bob.workersSnapshot().isArray()).isTrue();
        assertThat(stolen).isEmpty();
        assertThat(stolenSnapshot).isEmpty();
    }

    @Test
    void refusesWorkerTokensAndBadTokensAtConnect() {
        assertThat(TestPerson.refusedConnect(port, TOKENS.worker("w-" + UUID.randomUUID())))
                .contains("only user and admin tokens");
        assertThat(TestPerson.refusedConnect(port, null)).contains("Authorization");
        assertThat(TestPerson.refusedConnect(port, TOKENS.expiredUser("u-late", "late"))).contains("invalid or expired");
        assertThat(TestPerson.refusedConnect(port, TOKENS.forgedAdmin("u-forger", "forger")))
                .contains("invalid or expired");
    }

    @Test
    void closesThePersonsSessionThatSendsToAgentDestinations() {
        TestPerson mallory = person(userToken(unique("mallory")));
        mallory.send(AgentDestinations.HEARTBEAT, Map.of("freeSlots", 1));
        StompRefusals.assertEndedBy(mallory.nextErrorFrame(), "People may not send to /app/agent/heartbeat");
    }

    @Test
    void closesThePersonsSessionThatSubscribesToAnUnknownOrPatternDestination() {
        TestPerson eve = person(userToken(unique("eve")));
        eve.subscribe("/topic/tasks/**");
        StompRefusals.assertEndedBy(eve.nextErrorFrame(), "No such destination");
    }

    @Test
    void keepsAgentsOffPeoplesDestinations() {
        TestAgent agent = agent(uniqueType());
        agent.subscribeTo("/topic/workers");
        StompRefusals.assertEndedBy(agent.nextErrorFrame(), "may not subscribe to /topic/workers");
        TestAgent other = agent(uniqueType());
        other.subscribeTo("/user/queue/tasks");
        StompRefusals.assertEndedBy(other.nextErrorFrame(), "may not subscribe to /user/queue/tasks");
    }

    @Test
    void deliversEveryTaskOnlyToAdminsOnTopicTasks() {
        String alice = userToken(unique("alice"));
        String bob = userToken(unique("bob"));
        TestPerson admin = person(TOKENS.admin(unique("admin"), "Admin"));
        BlockingQueue<JsonNode> all = admin.subscribe("/topic/tasks");
        admin.workersSnapshot();
        TestPerson user = person(alice);
        BlockingQueue<JsonNode> errors = user.subscribe("/user/queue/errors");
        user.subscribe("/topic/tasks");
        assertThat(next(errors, "refusal").get("code").asString()).isEqualTo("FORBIDDEN");

        String aliceTask = submitTask(alice, uniqueType());
        String bobTask = submitTask(bob, uniqueType());
        JsonNode first = nextWithStatus(all, aliceTask, "QUEUED");
        assertThat(first.get("previous").isNull()).isTrue();
        assertThat(first.get("owner").asString()).startsWith("user-alice");
        nextWithStatus(all, bobTask, "QUEUED");
    }

    @Test
    void deliversOnTheUserQueueOnlyTheCallersOwnTasks() {
        String alice = userToken(unique("alice"));
        String bob = userToken(unique("bob"));
        TestPerson alicePage = person(alice);
        BlockingQueue<JsonNode> aliceQueue = alicePage.subscribe("/user/queue/tasks");
        alicePage.workersSnapshot();
        TestPerson bobPage = person(bob);
        BlockingQueue<JsonNode> bobQueue = bobPage.subscribe("/user/queue/tasks");
        bobPage.workersSnapshot();

        String bobTask = submitTask(bob, uniqueType());
        String aliceTask = submitTask(alice, uniqueType());
        // in publish order per session: had bob's event reached alice, it would be ahead of hers
        JsonNode aliceEvent = next(aliceQueue, "alice's task");
        assertThat(aliceEvent.get("id").asString()).isEqualTo(aliceTask);
        assertThat(aliceEvent.get("status").asString()).isEqualTo("QUEUED");
        assertThat(next(bobQueue, "bob's task").get("id").asString()).isEqualTo(bobTask);
        assertThat(TestPerson.ids(aliceQueue)).doesNotContain(bobTask);
        assertThat(TestPerson.ids(bobQueue)).doesNotContain(aliceTask);
    }

    @Test
    void showsWorkersComingAndGoingWithTheirCapabilities() {
        TestPerson page = person(userToken(unique("watcher")));
        BlockingQueue<JsonNode> workers = page.subscribe("/topic/workers");
        page.workersSnapshot();

        TestAgent agent = agent(uniqueType()).withCapabilities(16, List.of(24_000L), List.of("gpu"));
        agent.heartbeat(3);
        JsonNode online = nextFor(workers, agent.workerId);
        assertThat(online.get("online").asBoolean()).isTrue();
        assertThat(online.get("freeSlots").asInt()).isEqualTo(3);
        assertThat(online.get("running").asInt()).isZero();
        assertThat(online.get("capabilities").get("cpus").asInt()).isEqualTo(16);
        assertThat(online.get("capabilities").get("gpus").get(0).get("memoryMb").asLong()).isEqualTo(24_000L);

        JsonNode snapshot = page.workersSnapshot();
        List<String> connected = new ArrayList<>();
        snapshot.forEach(worker -> connected.add(worker.get("workerId").asString()));
        assertThat(connected).contains(agent.workerId);

        // a second heartbeat within the interval (1 h in these tests) is not shown, the agent leaving is
        agent.heartbeat(2, new RunningAttempt(UUID.randomUUID(), 1));
        agent.close();
        JsonNode gone = nextFor(workers, agent.workerId);
        assertThat(gone.get("online").asBoolean()).isFalse();
    }

    private static JsonNode nextFor(BlockingQueue<JsonNode> workers, String workerId) {
        while (true) {
            JsonNode event = next(workers, "change of worker " + workerId);
            if (event.get("workerId").asString().equals(workerId)) {
                return event;
            }
        }
    }
}
