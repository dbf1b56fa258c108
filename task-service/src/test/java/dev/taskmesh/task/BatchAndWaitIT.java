package dev.taskmesh.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.contract.agent.Outcome;
import dev.taskmesh.contract.agent.TaskAssignment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Batch submission ({@code POST /api/v1/tasks:batch}) and waiting for a task's outcome ({@code ?waitSeconds=N}). */
class BatchAndWaitIT extends IntegrationTestBase {

    private static final String BATCH = ApiPaths.TASKS_BATCH;

    private final String alice = userToken("alice");
    private final List<TestAgent> agents = new ArrayList<>();
    private final ExecutorService background = Executors.newVirtualThreadPerTaskExecutor();

    @AfterEach
    void cleanUp() {
        agents.forEach(TestAgent::close);
        background.shutdownNow();
    }

    private long total(String type) {
        return get(ApiPaths.TASKS + "?type=" + type, alice).json().get("total").asLong();
    }

    private static String batch(List<String> items) {
        return "{\"tasks\": [" + String.join(",", items) + "]}";
    }

    @Test
    void storesABatchOf500TasksInOneCall() {
        String type = uniqueType();
        List<String> items = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            items.add("{\"type\": \"" + type + "\", \"input\": {\"i\": " + i + "}}");
        }

        Response response = post(BATCH + "?view=ids", alice, batch(items));

        assertThat(response.status()).as(response.body()).isEqualTo(201);
        JsonNode ids = response.json().get("ids");
        assertThat(ids).hasSize(500);
        assertThat(new HashSet<>(ids.valueStream().map(JsonNode::asString).toList())).hasSize(500);
        assertThat(total(type)).isEqualTo(500);
        JsonNode last = task(alice, ids.get(499).asString());
        assertThat(last.get("input").get("i").asInt()).isEqualTo(499);
        assertThat(last.get("status").asString()).isEqualTo("QUEUED");
        assertThat(last.get("owner").asString()).isEqualTo("user-alice");
    }

    @Test
    void answersTheTaskJsonOfEachItemInOrder() {
        String type = uniqueType();
        Response response = post(BATCH, alice, batch(List.of(
                "{\"type\": \"" + type + "\", \"input\": {\"i\": 0}, \"priority\": 7}",
                "{\"type\": \"command\", \"input\": {\"argv\": [\"echo\", \"" + type + "\"]}}")));

        assertThat(response.status()).as(response.body()).isEqualTo(201);
        JsonNode items = response.json().get("items");
        assertThat(items).hasSize(2);
        assertThat(items.get(0).get("type").asString()).isEqualTo(type);
        assertThat(items.get(0).get("priority").asInt()).isEqualTo(7);
        assertThat(items.get(0).get("status").asString()).isEqualTo("QUEUED");
        assertThat(items.get(1).get("input").get("argv").get(1).asString()).isEqualTo(type);
    }

    @Test
    void refusesTheWholeBatchWhenOneItemIsInvalid() {
        String type = uniqueType();
        List<String> items = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            items.add("{\"type\": \"" + type + "\"}");
        }
        items.set(17, "{\"type\": \"command\", \"input\": {\"argv\": []}}");

        Response badArgv = post(BATCH, alice, batch(items));

        assertThat(badArgv.status()).isEqualTo(400);
        assertThat(badArgv.json().get("detail").asString())
                .isEqualTo("tasks[17].input.argv: must be a non-empty array of strings for type command");
        assertThat(total(type)).isZero();

        items.set(17, "{\"type\": \"" + type + "\"}");
        items.set(3, "{\"type\": \"" + type + "\", \"priority\": 5000}");
        Response badPriority = post(BATCH, alice, batch(items));
        assertThat(badPriority.status()).isEqualTo(400);
        assertThat(badPriority.json().get("detail").asString()).startsWith("tasks[3].priority: ");
        assertThat(total(type)).isZero();
    }

    @Test
    void honoursIdempotencyKeysPerItem() {
        String type = uniqueType();
        String earlier = submit(alice, "{\"type\": \"" + type + "\", \"idempotencyKey\": \"k1\"}").get("id")
                .asString();

        Response response = post(BATCH + "?view=ids", alice, batch(List.of(
                "{\"type\": \"" + type + "\", \"idempotencyKey\": \"k1\"}",
                "{\"type\": \"" + type + "\", \"idempotencyKey\": \"k2\"}",
                "{\"type\": \"" + type + "\", \"idempotencyKey\": \"k2\"}",
                "{\"type\": \"" + type + "\"}")));

        assertThat(response.status()).as(response.body()).isEqualTo(201);
        List<String> ids = response.json().get("ids").valueStream().map(JsonNode::asString).toList();
        assertThat(ids.get(0)).isEqualTo(earlier);
        assertThat(ids.get(2)).isEqualTo(ids.get(1));
        assertThat(ids.get(3)).isNotIn(ids.get(0), ids.get(1));
        assertThat(total(type)).isEqualTo(3);
    }

    @Test
    void refusesEmptyOversizedAndForeignBatches() {
        String one = "{\"type\": \"" + uniqueType() + "\"}";
        assertThat(post(BATCH, alice, "{\"tasks\": []}").status()).isEqualTo(400);
        assertThat(post(BATCH, alice, "{}").status()).isEqualTo(400);
        assertThat(post(BATCH, alice, batch(java.util.Collections.nCopies(1001, one))).status()).isEqualTo(400);
        assertThat(post(BATCH + "?view=xml", alice, batch(List.of(one))).status()).isEqualTo(400);
        assertThat(post(BATCH, TOKENS.worker("w-batch"), batch(List.of(one))).status()).isEqualTo(403);
        assertThat(post(BATCH, null, batch(List.of(one))).status()).isEqualTo(401);
        String padded = "{\"type\": \"x\", \"input\": {\"pad\": \"" + "x".repeat(4_000) + "\"}}";
        assertThat(post(BATCH, alice, batch(java.util.Collections.nCopies(300, padded))).status()).isEqualTo(413);
        assertThat(post(BATCH, alice, batch(List.of("{\"type\": \"group\", \"children\": [" + one + "]}")))
                .json().get("detail").asString()).startsWith("tasks[0]: groups and broadcasts");
    }

    @Test
    void answersAWaitingRequestWhenTheAgentCompletesTheTask() throws Exception {
        String type = uniqueType();
        TestAgent agent = TestAgent.connect(port, List.of(type));
        agents.add(agent);
        agent.heartbeat(1);
        String id = submit(alice, "{\"type\": \"" + type + "\"}").get("id").asString();
        TaskAssignment assignment = agent.nextAssignment();
        agent.started(assignment);

        CompletableFuture<Response> waiting = CompletableFuture.supplyAsync(
                () -> get(ApiPaths.TASKS + "/" + id + "?waitSeconds=60", alice), background);
        await().atMost(Duration.ofSeconds(15)).until(() -> waitedOn() >= 1);
        assertThat(waiting).isNotDone();
        double releasedWithTask = metric("taskmesh_tasks_waits_released_with_task_total");
        agent.succeedWithOutput(assignment.taskId(), 1, "{\"answer\": 42, \"items\": [1, 2]}");

        Response answer = waiting.get(30, TimeUnit.SECONDS);
        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.json().get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(answer.json().get("workerId").asString()).isEqualTo(agent.workerId);
        // the output that came with the completion is in the answer itself: no second request for the result
        assertThat(answer.json().get("output").toString()).isEqualTo("{\"answer\":42,\"items\":[1,2]}");
        assertThat(answer.json().get("attempts").get(0).has("output")).isFalse();
        assertThat(answer.json().get("attempts").get(0).get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(metric("taskmesh_tasks_waits_released_with_task_total"))
                .as("the one waiting request was answered with the task its completion's transaction read")
                .isEqualTo(releasedWithTask + 1);
    }

    @Test
    void answersManyWaitingRequestsEachWithItsOwnOutcome() throws Exception {
        String type = uniqueType();
        TestAgent agent = TestAgent.connect(port, List.of(type));
        agents.add(agent);
        agent.heartbeat(10);
        int tasks = 10;
        List<CompletableFuture<Response>> calls = new ArrayList<>();
        for (int i = 0; i < tasks; i++) {
            String body = "{\"type\": \"" + type + "\", \"input\": {\"n\": " + i + "}}";
            calls.add(CompletableFuture.supplyAsync(() -> post(ApiPaths.TASKS + "?waitSeconds=60", alice, body),
                    background));
        }
        List<TaskAssignment> assignments = new ArrayList<>();
        for (int i = 0; i < tasks; i++) {
            assignments.add(agent.nextAssignment());
        }
        await().atMost(Duration.ofSeconds(15)).until(() -> waitedOn() >= tasks);
        double releasedWithTask = metric("taskmesh_tasks_waits_released_with_task_total");

        // one at a time: the first completions find too many callers waiting and leave the read to them
        for (TaskAssignment assignment : assignments) {
            int n = assignment.input().get("n").asInt();
            agent.succeedWithOutput(assignment.taskId(), assignment.attempt(), "{\"square\": " + n * n + "}");
            await().atMost(Duration.ofSeconds(15)).until(() -> calls.stream().filter(CompletableFuture::isDone)
                    .count() > assignments.indexOf(assignment));
        }
        for (CompletableFuture<Response> call : calls) {
            JsonNode task = call.get(30, TimeUnit.SECONDS).json();
            int n = task.get("input").get("n").asInt();
            assertThat(task.get("status").asString()).isEqualTo("SUCCEEDED");
            assertThat(task.get("output").get("square").asInt()).isEqualTo(n * n);
        }
        assertThat(metric("taskmesh_tasks_waits_released_with_task_total") - releasedWithTask)
                .as("read for their callers by the completion's transaction: only while fewer than 8 tasks were "
                        + "waited on (7, 6, ... 1)")
                .isEqualTo(7);
    }

    @Test
    void submitsAndAnswersWithTheOutcomeInOneRequest() throws Exception {
        String type = uniqueType();
        TestAgent agent = TestAgent.connect(port, List.of(type));
        agents.add(agent);
        agent.heartbeat(1);
        String body = "{\"type\": \"" + type + "\"}";
        assertThat(post(ApiPaths.TASKS + "?waitSeconds=61", alice, body).status())
                .as("a wait out of range is refused before anything is stored").isEqualTo(400);

        CompletableFuture<Response> call = CompletableFuture.supplyAsync(
                () -> post(ApiPaths.TASKS + "?waitSeconds=60", alice, body), background);
        TaskAssignment assignment = agent.nextAssignment();
        assertThat(call).isNotDone();
        agent.succeedWithOutput(assignment.taskId(), 1, "{\"sum\": 3}");

        Response answer = call.get(30, TimeUnit.SECONDS);
        assertThat(answer.status()).isEqualTo(201);
        assertThat(answer.raw().headers().firstValue("Location")).hasValue(ApiPaths.TASKS + "/" + assignment.taskId());
        assertThat(answer.json().get("id").asString()).isEqualTo(assignment.taskId().toString());
        assertThat(answer.json().get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(answer.json().get("output").get("sum").asInt()).isEqualTo(3);
        assertThat(agent.assignments).as("the refused call stored no task").isEmpty();
    }

    @Test
    void endsAWaitWithTheCurrentStateAndAnswersAFinalTaskAtOnce() {
        String id = submit(alice, "{\"type\": \"" + uniqueType() + "\"}").get("id").asString();

        Response queued = get(ApiPaths.TASKS + "/" + id + "?waitSeconds=1", alice);
        assertThat(queued.status()).isEqualTo(200);
        assertThat(queued.json().get("status").asString()).isEqualTo("QUEUED");

        post(ApiPaths.TASKS + "/" + id + "/cancel", alice, "");
        Response cancelled = get(ApiPaths.TASKS + "/" + id + "?waitSeconds=60", alice);
        assertThat(cancelled.json().get("status").asString()).isEqualTo("CANCELLED");

        assertThat(get(ApiPaths.TASKS + "/" + id + "?waitSeconds=61", alice).status()).isEqualTo(400);
        assertThat(get(ApiPaths.TASKS + "/" + id + "?waitSeconds=1", userToken("mallory")).status())
                .isEqualTo(403);
    }

    /** The gauge of tasks that requests wait on. */
    private double waitedOn() {
        return metric("taskmesh_tasks_waited_on");
    }

    private double metric(String name) {
        return get("/actuator/prometheus", null).body().lines()
                .filter(line -> line.startsWith(name + " ") || line.startsWith(name + "{"))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .findFirst().orElse(0);
    }
}
