package dev.taskmesh.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.contract.agent.Outcome;
import dev.taskmesh.contract.agent.RunningAttempt;
import dev.taskmesh.contract.agent.TaskAssignment;
import dev.taskmesh.task.lifecycle.DispatchOrder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Scheduling over a real STOMP session: retry backoff, queue timeouts, priorities with aging, waiting reasons
 * against the fleet's capabilities, owner limits (one running task per owner here: each test uses owners of its
 * own), draining and the drain estimate.
 */
@TestPropertySource(properties = {
        "taskmesh.tasks.max-running-per-owner=1",
        "taskmesh.tasks.waiting-check-interval=200ms",
        "taskmesh.dispatch.heartbeat-flush=200ms"})
class LifecycleIT extends IntegrationTestBase {

    private static final Duration AGING = Duration.ofSeconds(60);

    private final String admin = TOKENS.admin("admin-1", "ada");
    private final List<TestAgent> agents = new ArrayList<>();

    @Autowired
    private JdbcTemplate jdbc;

    @AfterEach
    void disconnectAgents() {
        agents.forEach(TestAgent::close);
    }

    private TestAgent agent(String... taskTypes) {
        TestAgent agent = TestAgent.connect(port, List.of(taskTypes));
        agents.add(agent);
        return agent;
    }

    /** A user no other test submits for, so that the owner limit of one test never holds back another's. */
    private static String newUser() {
        return userToken("u" + UUID.randomUUID().toString().substring(0, 8));
    }

    private String status(String token, String id) {
        return task(token, id).get("status").asString();
    }

    // --- retries with backoff -------------------------------------------------------------------------------

    @Test
    void retryWaitsForItsBackoffAndIsNotClaimedBefore() {
        String user = newUser();
        String type = uniqueType();
        TestAgent agent = agent(type);
        agent.heartbeat(2);
        String id = submit(user, "{\"type\": \"" + type + "\", \"maxAttempts\": 3, "
                + "\"retry\": {\"backoffSeconds\": 3600, \"maxBackoffSeconds\": 7200}}").get("id").asString();
        TaskAssignment first = agent.nextAssignment();
        agent.started(first);
        // waits behind the owner limit until the first one fails; then it goes first (it queued earlier), and
        // while it runs the owner limit holds the retry back whatever its jittered backoff
        String blocker = submit(user, "{\"type\": \"" + type + "\"}").get("id").asString();
        Instant failedAt = Instant.now();
        agent.complete(first.taskId(), 1, Outcome.FAILED, "exit code 1", true);
        assertThat(agent.nextReceipt().recorded()).isTrue();
        TaskAssignment blocking = agent.nextAssignment();
        assertThat(blocking.taskId()).hasToString(blocker);

        JsonNode waiting = task(user, id);
        assertThat(waiting.get("status").asString()).isEqualTo("QUEUED");
        assertThat(waiting.get("retry").get("backoffSeconds").asInt()).isEqualTo(3600);
        assertThat(waiting.get("retry").get("maxBackoffSeconds").asInt()).isEqualTo(7200);
        assertThat(waiting.get("attempts").get(0).get("status").asString()).isEqualTo("FAILED");
        // full jitter: anywhere in [0, 3600 s] after the failure; only a delay already over leaves runAfter null
        if (!waiting.get("runAfter").isNull()) {
            assertThat(Instant.parse(waiting.get("runAfter").asString()))
                    .isBetween(failedAt.minusSeconds(1), Instant.now().plusSeconds(3600));
        }

        // pin the backoff an hour ahead: the free slots stay empty once the owner limit no longer holds it back
        jdbc.update("UPDATE tasks SET run_after = now() + interval '1 hour' WHERE id = ?", UUID.fromString(id));
        assertThat(task(user, id).get("runAfter").isNull()).isFalse();
        agent.complete(blocking.taskId(), 1, Outcome.SUCCEEDED, null, false);
        assertThat(agent.nextReceipt().recorded()).isTrue();
        agent.heartbeat(2);
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                .until(() -> agent.assignments.isEmpty() && status(user, id).equals("QUEUED"));

        // once the backoff has passed, the dispatcher's next round takes it
        jdbc.update("UPDATE tasks SET run_after = now() - interval '1 second' WHERE id = ?", UUID.fromString(id));
        TaskAssignment second = agent.nextAssignment();
        assertThat(second.taskId()).hasToString(id);
        assertThat(second.attempt()).isEqualTo(2);
        assertThat(task(user, id).get("runAfter").isNull()).isTrue();
    }

    @Test
    void retriesAfterAShortBackoffAndNeverRetriesANonRetryableFailure() {
        String user = newUser();
        String type = uniqueType();
        TestAgent agent = agent(type);
        agent.heartbeat(1);
        String retried = submit(user, "{\"type\": \"" + type + "\", \"maxAttempts\": 3, "
                + "\"retry\": {\"backoffSeconds\": 1, \"maxBackoffSeconds\": 1}}").get("id").asString();
        TaskAssignment first = agent.nextAssignment();
        agent.complete(first.taskId(), 1, Outcome.FAILED, "timed out after 5 s", true);
        assertThat(agent.nextReceipt().recorded()).isTrue();
        TaskAssignment second = agent.nextAssignment();
        assertThat(second.taskId()).hasToString(retried);
        assertThat(second.attempt()).isEqualTo(2);
        agent.complete(second.taskId(), 2, Outcome.SUCCEEDED, null, false);
        assertThat(agent.nextReceipt().recorded()).isTrue();
        assertThat(status(user, retried)).isEqualTo("SUCCEEDED");

        String doomed = submit(user, "{\"type\": \"" + type + "\", \"maxAttempts\": 5}").get("id").asString();
        TaskAssignment only = agent.nextAssignment();
        assertThat(only.taskId()).hasToString(doomed);
        agent.complete(only.taskId(), 1, Outcome.FAILED, "cannot start nope: No such file", false);
        assertThat(agent.nextReceipt().recorded()).isTrue();
        JsonNode failed = task(user, doomed);
        assertThat(failed.get("status").asString()).isEqualTo("FAILED");
        assertThat(failed.get("error").asString()).isEqualTo("cannot start nope: No such file");
        assertThat(failed.get("attempts")).hasSize(1);
        assertThat(failed.get("runAfter").isNull()).isTrue();
    }

    // --- queue timeout ----------------------------------------------------------------------------------------

    @Test
    void failsATaskThatWaitedPastItsQueueTimeoutWithItsWaitingReason() {
        String user = newUser();
        agent(uniqueType()).heartbeat(1); // online, but offering other types
        String type = uniqueType();
        String id = submit(user, "{\"type\": \"" + type + "\", \"queueTimeoutSeconds\": 3600}").get("id").asString();
        JsonNode queued = task(user, id);
        assertThat(queued.get("queueTimeoutSeconds").asInt()).isEqualTo(3600);
        String reason = "waiting: no online worker offers task type '" + type + "'";
        await().atMost(Duration.ofSeconds(15)).until(() -> reason.equals(
                task(user, id).get("waitingReason").asString(null)));

        // an hour later, as far as the deadline is concerned
        jdbc.update("UPDATE tasks SET queue_deadline = now() WHERE id = ?", UUID.fromString(id));
        await().atMost(Duration.ofSeconds(15)).until(() -> status(user, id).equals("FAILED"));
        JsonNode failed = task(user, id);
        assertThat(failed.get("error").asString()).isEqualTo("queue timeout: waited 3600 s; " + reason);
        assertThat(failed.get("waitingReason").isNull()).isTrue();
        assertThat(failed.get("finishedAt").isNull()).isFalse();
    }

    @Test
    void failsAnUnclaimedTaskOnceItsShortQueueTimeoutPasses() {
        String user = newUser();
        String id = submit(user, "{\"type\": \"" + uniqueType() + "\", \"queueTimeoutSeconds\": 1}")
                .get("id").asString();

        await().atMost(Duration.ofSeconds(20)).until(() -> status(user, id).equals("FAILED"));
        assertThat(task(user, id).get("error").asString()).startsWith("queue timeout: waited 1 s");
    }

    // --- priorities with aging ----------------------------------------------------------------------------

    @Test
    void claimsByPriorityAgedByWaitingTimeAndFirstComeFirstServedWithinAPriority() {
        String user = newUser();
        String type = uniqueType();
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        // name -> priority and how long it has waited
        Map<String, Object[]> tasks = Map.of(
                "old-low", new Object[] {-1, Duration.ofMinutes(20)},   // key now - 19 min: aged past everyone
                "urgent", new Object[] {10, Duration.ofSeconds(30)},    // key now - 10.5 min
                "plain", new Object[] {0, Duration.ofMinutes(10)},      // key now - 10 min
                "high-first", new Object[] {5, Duration.ofMinutes(2)},  // key now - 7 min
                "high-second", new Object[] {5, Duration.ofMinutes(1)}, // key now - 6 min: same priority, later
                "fresh-low", new Object[] {0, Duration.ZERO});          // key now
        Map<String, String> ids = new HashMap<>();
        tasks.forEach((name, spec) -> {
            int priority = (int) spec[0];
            Instant queuedAt = now.minus((Duration) spec[1]);
            String id = submit(user, "{\"type\": \"" + type + "\", \"priority\": " + priority + "}")
                    .get("id").asString();
            jdbc.update("UPDATE tasks SET created_at = ?, queued_at = ?, dispatch_at = ? WHERE id = ?",
                    utc(queuedAt), utc(queuedAt), utc(DispatchOrder.key(queuedAt, priority, AGING)),
                    UUID.fromString(id));
            ids.put(id, name);
        });

        TestAgent agent = agent(type);
        agent.heartbeat(1);
        List<String> order = new ArrayList<>();
        for (int i = 0; i < tasks.size(); i++) {
            TaskAssignment assignment = agent.nextAssignment();
            order.add(ids.get(assignment.taskId().toString()));
            agent.complete(assignment.taskId(), assignment.attempt(), Outcome.SUCCEEDED, null, false);
            assertThat(agent.nextReceipt().recorded()).isTrue();
        }
        assertThat(order).containsExactly("old-low", "urgent", "plain", "high-first", "high-second", "fresh-low");
    }

    // --- hard requirements and waiting reasons ------------------------------------------------------------

    @Test
    void gpuTaskWaitsWithTheReasonWhileOnlyCpuWorkersAreOnlineThenRunsOnAGpuWorker() {
        String user = newUser();
        String type = uniqueType();
        TestAgent cpuOnly = agent(type).withCapabilities(16, List.of(), List.of("ssd"));
        cpuOnly.heartbeat(4);
        String id = submit(user, "{\"type\": \"" + type
                + "\", \"requirements\": {\"gpus\": 2, \"gpuMemoryMb\": 24576}}").get("id").asString();

        await().atMost(Duration.ofSeconds(15)).until(() -> "waiting: no online worker has 2 GPUs with 24576 MiB"
                .equals(task(user, id).get("waitingReason").asString(null)));
        JsonNode waiting = task(user, id);
        assertThat(waiting.get("status").asString()).isEqualTo("QUEUED");
        assertThat(waiting.get("queueTimeoutSeconds").isNull()).as("no default queue timeout").isTrue();
        assertThat(waiting.get("runAfter").isNull()).isTrue();
        assertThat(cpuOnly.assignments).isEmpty();

        // a worker with one big GPU is not enough; one with two that are big enough gets it
        TestAgent oneGpu = agent(type).withCapabilities(16, List.of(81_559L), List.of());
        oneGpu.heartbeat(4);
        TestAgent twoGpus = agent(type).withCapabilities(32, List.of(40_960L, 40_960L), List.of("gpu"));
        twoGpus.heartbeat(4);

        TaskAssignment assignment = twoGpus.nextAssignment();
        assertThat(assignment.taskId()).hasToString(id);
        twoGpus.started(assignment);
        twoGpus.complete(assignment.taskId(), 1, Outcome.SUCCEEDED, null, false);
        assertThat(twoGpus.nextReceipt().recorded()).isTrue();
        JsonNode done = task(user, id);
        assertThat(done.get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(done.get("workerId").asString()).isEqualTo(twoGpus.workerId);
        assertThat(done.get("waitingReason").isNull()).isTrue();
        assertThat(cpuOnly.assignments).isEmpty();
        assertThat(oneGpu.assignments).isEmpty();
    }

    @Test
    void explainsTargetsLabelsAndCpusNoOnlineWorkerOffersAndClearsTheReasonWhenOneDoes() {
        String user = newUser();
        String type = uniqueType();
        agent(type).withCapabilities(4, List.of(), List.of("gpu")).heartbeat(0);
        String labels = submit(user, "{\"type\": \"" + type
                + "\", \"requirements\": {\"labels\": [\"gpu\", \"region=eu\"]}}").get("id").asString();
        String cpus = submit(user, "{\"type\": \"" + type + "\", \"requirements\": {\"cpus\": 8}}")
                .get("id").asString();
        String targeted = submit(user, "{\"type\": \"" + type + "\", \"targetWorkers\": [\"w-nowhere\"]}")
                .get("id").asString();
        String fits = submit(user, "{\"type\": \"" + type + "\", \"requirements\": {\"cpus\": 4}}")
                .get("id").asString();

        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            assertThat(task(user, labels).get("waitingReason").asString(null))
                    .isEqualTo("waiting: no online worker has labels [gpu, region=eu]");
            assertThat(task(user, cpus).get("waitingReason").asString(null))
                    .isEqualTo("waiting: no online worker has 8 CPUs");
            assertThat(task(user, targeted).get("waitingReason").asString(null))
                    .isEqualTo("waiting: target workers [w-nowhere] are not online");
        });
        // a busy worker that could run it is no reason to explain anything
        assertThat(task(user, fits).get("waitingReason").isNull()).isTrue();

        agent(type).withCapabilities(8, List.of(), List.of("gpu", "region=eu")).heartbeat(0);
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            assertThat(task(user, labels).get("waitingReason").isNull()).isTrue();
            assertThat(task(user, cpus).get("waitingReason").isNull()).isTrue();
        });
        assertThat(task(user, targeted).get("waitingReason").asString(null)).contains("w-nowhere");
    }

    // --- owner limits -------------------------------------------------------------------------------------

    @Test
    void secondTaskOfAnOwnerWaitsWhileAnotherOwnersTaskRuns() {
        String alice = newUser();
        String bob = newUser();
        String type = uniqueType();
        String aliceFirst = submit(alice, "{\"type\": \"" + type + "\", \"priority\": 10}").get("id").asString();
        String aliceSecond = submit(alice, "{\"type\": \"" + type + "\", \"priority\": 10}").get("id").asString();
        String bobs = submit(bob, "{\"type\": \"" + type + "\"}").get("id").asString();

        TestAgent agent = agent(type);
        agent.heartbeat(3);
        List<String> first = List.of(agent.nextAssignment().taskId().toString(),
                agent.nextAssignment().taskId().toString());
        assertThat(first).containsExactlyInAnyOrder(aliceFirst, bobs);
        agent.heartbeat(1, running(aliceFirst), running(bobs));
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4))
                .until(() -> agent.assignments.isEmpty() && status(alice, aliceSecond).equals("QUEUED"));

        agent.complete(UUID.fromString(aliceFirst), 1, Outcome.SUCCEEDED, null, false);
        assertThat(agent.nextReceipt().recorded()).isTrue();
        assertThat(agent.nextAssignment().taskId()).hasToString(aliceSecond);
        assertThat(status(bob, bobs)).isEqualTo("ASSIGNED");
    }

    // --- drain --------------------------------------------------------------------------------------------

    @Test
    void drainedWorkerFinishesWhatItRunsGetsNothingNewAndTellsTheRegistry() {
        String user = newUser();
        String type = uniqueType();
        TestAgent agent = agent(type);
        agent.heartbeat(2);
        String running = submit(user, "{\"type\": \"" + type + "\"}").get("id").asString();
        TaskAssignment held = agent.nextAssignment();
        agent.started(held);
        await().atMost(Duration.ofSeconds(10)).until(() -> status(user, running).equals("RUNNING"));

        String drainPath = ApiPaths.WORKERS + "/" + agent.workerId + "/drain";
        assertThat(post(drainPath, user, "").status()).isEqualTo(403);
        Response drained = post(drainPath, admin, "");
        assertThat(drained.status()).as(drained.body()).isEqualTo(200);
        assertThat(drained.json().get("draining").asBoolean()).isTrue();
        assertThat(drained.json().get("drainedBy").asString()).isEqualTo("ada");
        assertThat(drained.json().get("runningTasks").asInt()).isEqualTo(1);
        Integer stored = jdbc.queryForObject("SELECT count(*) FROM worker_drains WHERE worker_id = ?",
                Integer.class, agent.workerId);
        assertThat(stored).as("kept in the database, so a restart keeps it").isEqualTo(1);

        String waiting = submit(user, "{\"type\": \"" + type + "\"}").get("id").asString();
        agent.heartbeat(1, new RunningAttempt(held.taskId(), held.attempt()));
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4))
                .until(() -> agent.assignments.isEmpty() && status(user, waiting).equals("QUEUED"));
        await().atMost(Duration.ofSeconds(15)).until(() -> "waiting: every online worker that can run it is draining"
                .equals(task(user, waiting).get("waitingReason").asString(null)));
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(RecordingRegistry.bodies())
                .as("forwarded heartbeats")
                .anyMatch(body -> body.contains("\"workerId\":\"" + agent.workerId + "\"")
                        && body.contains("\"draining\":true")));

        // what it runs still finishes and is recorded
        agent.complete(held.taskId(), 1, Outcome.SUCCEEDED, null, false);
        assertThat(agent.nextReceipt().recorded()).isTrue();
        assertThat(status(user, running)).isEqualTo("SUCCEEDED");

        Response undrained = delete(drainPath, admin);
        assertThat(undrained.status()).as(undrained.body()).isEqualTo(200);
        assertThat(undrained.json().get("draining").asBoolean()).isFalse();
        agent.heartbeat(2);
        assertThat(agent.nextAssignment().taskId()).hasToString(waiting);
    }

    // --- estimate -----------------------------------------------------------------------------------------

    @Test
    void estimatesTheTimeToDrainFromObservedRunTimesAndOnlineSlots() {
        String user = newUser();
        String type = uniqueType();
        JsonNode unknown = get(ApiPaths.TASKS + "/estimate?type=" + type, user).json();
        assertThat(unknown.get("types").get(0).get("samples").asLong()).isZero();
        assertThat(unknown.get("estimatedDrainSeconds").asDouble()).isZero();

        TestAgent agent = agent(type); // 4 slots
        agent.heartbeat(1);
        String done = submit(user, "{\"type\": \"" + type + "\"}").get("id").asString();
        TaskAssignment assignment = agent.nextAssignment();
        agent.started(assignment);
        await().atMost(Duration.ofSeconds(10)).until(() -> status(user, done).equals("RUNNING"));
        agent.complete(assignment.taskId(), 1, Outcome.SUCCEEDED, null, false);
        assertThat(agent.nextReceipt().recorded()).isTrue();
        // written by the next flush of the samples gathered in memory (every second)
        await().atMost(Duration.ofSeconds(10)).until(() -> jdbc.queryForList(
                "SELECT samples FROM task_type_stats WHERE type = ?", Long.class, type), List.of(1L)::equals);

        // three more wait (owner limit 1: one is assigned, two stay queued) with a known average of 10 s
        jdbc.update("UPDATE task_type_stats SET avg_run_seconds = 10 WHERE type = ?", type);
        for (int i = 0; i < 3; i++) {
            submit(user, "{\"type\": \"" + type + "\"}");
        }
        agent.nextAssignment();
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            JsonNode estimate = get(ApiPaths.TASKS + "/estimate?type=" + type, user).json();
            assertThat(estimate.get("queued").asLong()).isEqualTo(2);
            assertThat(estimate.get("running").asLong()).isEqualTo(1);
            assertThat(estimate.get("onlineSlots").asLong()).isEqualTo(4);
            JsonNode byType = estimate.get("types").get(0);
            assertThat(byType.get("type").asString()).isEqualTo(type);
            assertThat(byType.get("avgRunSeconds").asDouble()).isEqualTo(10.0);
            assertThat(byType.get("samples").asLong()).isEqualTo(1);
            // (2 queued + 1 running) x 10 s / 4 slots
            assertThat(byType.get("estimatedDrainSeconds").asDouble()).isEqualTo(7.5);
            assertThat(estimate.get("estimatedDrainSeconds").asDouble()).isEqualTo(7.5);
        });

        JsonNode all = get(ApiPaths.TASKS + "/estimate", user).json();
        assertThat(all.get("types").valueStream().map(t -> t.get("type").asString())).contains(type);
        await().atMost(Duration.ofSeconds(20)).until(() -> get("/actuator/prometheus", null).body()
                .contains("taskmesh_queue_drain_estimate_seconds{application=\"task-service\",type=\"" + type
                        + "\"} 7.5"));

        // a type nobody has run yet, with a queued task, has no estimate, and neither has the whole queue
        String fresh = uniqueType();
        submit(newUser(), "{\"type\": \"" + fresh + "\"}");
        JsonNode none = get(ApiPaths.TASKS + "/estimate?type=" + fresh, user).json();
        assertThat(none.get("types").get(0).get("estimatedDrainSeconds").isNull()).isTrue();
        assertThat(none.get("estimatedDrainSeconds").isNull()).isTrue();
        assertThat(get(ApiPaths.TASKS + "/estimate", user).json().get("estimatedDrainSeconds").isNull()).isTrue();
    }

    private static OffsetDateTime utc(Instant instant) {
        return instant.atOffset(ZoneOffset.UTC);
    }

    private static RunningAttempt running(String taskId) {
        return new RunningAttempt(UUID.fromString(taskId), 1);
    }

    private Response delete(String path, String token) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Bearer " + token).DELETE().timeout(Duration.ofSeconds(20)).build();
        try (HttpClient http = HttpClient.newHttpClient()) {
            return new Response(http.send(request, HttpResponse.BodyHandlers.ofString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
