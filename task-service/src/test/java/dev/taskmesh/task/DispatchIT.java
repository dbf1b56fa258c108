package dev.taskmesh.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.contract.agent.AgentDestinations;
import dev.taskmesh.contract.agent.CompletionReceipt;
import dev.taskmesh.contract.agent.Outcome;
import dev.taskmesh.contract.agent.ProtocolError;
import dev.taskmesh.contract.agent.RunningAttempt;
import dev.taskmesh.contract.agent.TaskAssignment;
import dev.taskmesh.contract.agent.TaskCancellation;
import dev.taskmesh.contract.agent.TaskStarted;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Dispatch over a real STOMP session: test agents connect with worker tokens, receive pushed tasks and report on
 * them. Each test uses task types of its own, so agents of one test never see another test's tasks.
 */
class DispatchIT extends IntegrationTestBase {

    private final String alice = userToken("alice");
    private final List<TestAgent> agents = new ArrayList<>();

    @AfterEach
    void disconnectAgents() {
        agents.forEach(TestAgent::close);
    }

    private TestAgent agent(String... taskTypes) {
        TestAgent agent = TestAgent.connect(port, List.of(taskTypes));
        agents.add(agent);
        return agent;
    }

    private String status(String id) {
        return task(alice, id).get("status").asString();
    }

    @Test
    void runsTaskFromAssignmentToSuccessWithProgressSteps() {
        String type = uniqueType();
        TestAgent agent = agent(type);
        agent.heartbeat(1);
        String id = submit(alice, "{\"type\": \"" + type + "\", \"input\": {\"images\": 3}}").get("id").asString();

        TaskAssignment assignment = agent.nextAssignment();
        assertThat(assignment.taskId()).hasToString(id);
        assertThat(assignment.attempt()).isEqualTo(1);
        assertThat(assignment.type()).isEqualTo(type);
        assertThat(assignment.owner()).isEqualTo("user-alice");
        assertThat(assignment.input().get("images").asInt()).isEqualTo(3);
        assertThat(task(alice, id).get("status").asString()).isEqualTo("ASSIGNED");

        Instant start = Instant.parse("2026-01-01T10:00:00Z");
        agent.started(assignment);
        agent.progress(assignment, 10, "Download", start);
        agent.progress(assignment, 40, "Resizing images", start.plusMillis(1200));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            JsonNode running = task(alice, id);
            assertThat(running.get("status").asString()).isEqualTo("RUNNING");
            // progress is null until the agent's progress message is stored: retried like the status
            assertThat(running.path("progress").path("percent").asInt(-1)).isEqualTo(40);
        });
        agent.complete(assignment.taskId(), 1, Outcome.SUCCEEDED, null, false);

        CompletionReceipt receipt = agent.nextReceipt();
        assertThat(receipt.recorded()).isTrue();
        assertThat(receipt.taskId()).isEqualTo(assignment.taskId());
        JsonNode done = task(alice, id);
        assertThat(done.get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(done.get("attempt").asInt()).isEqualTo(1);
        assertThat(done.get("workerId").asString()).isEqualTo(agent.workerId);
        assertThat(done.get("startedAt").isNull()).isFalse();
        assertThat(done.get("finishedAt").isNull()).isFalse();
        JsonNode progress = done.get("progress");
        assertThat(progress.get("stage").asString()).isEqualTo("Resizing images");
        JsonNode steps = progress.get("steps");
        assertThat(steps).hasSize(2);
        assertThat(steps.get(0).get("name").asString()).isEqualTo("Download");
        assertThat(steps.get(0).get("durationMs").asLong()).isEqualTo(1200);
        assertThat(steps.get(1).get("name").asString()).isEqualTo("Resizing images");
        assertThat(steps.get(1).get("finishedAt").isNull()).as("last step closed by the completion").isFalse();
        JsonNode attempt = done.get("attempts").get(0);
        assertThat(attempt.get("attempt").asInt()).isEqualTo(1);
        assertThat(attempt.get("workerId").asString()).isEqualTo(agent.workerId);
        assertThat(attempt.get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(attempt.get("startedAt").isNull()).isFalse();

        // the worker holding the task may read it (the result-service checks uploads this way)
        Response asWorker = get(ApiPaths.TASKS + "/" + id, TOKENS.worker(agent.workerId));
        assertThat(asWorker.status()).isEqualTo(200);
    }

    @Test
    void refusesConnectWithoutAWorkerTokenMatchingTheWorkerIdHeader() {
        assertThat(TestAgent.refusedConnect(port, userToken("mallory"), "user-mallory")).contains("worker tokens");
        assertThat(TestAgent.refusedConnect(port, TOKENS.worker("w-one"), "w-other")).contains("worker-id");
        assertThat(TestAgent.refusedConnect(port, null, "w-one")).contains("Authorization");
        assertThat(TestAgent.refusedConnect(port, TOKENS.forgedAdmin("w-one", "x"), "w-one")).contains("invalid");
    }

    @Test
    void closesTheSessionOfAnAgentSendingOutsideItsDestinations() {
        TestAgent agent = agent(uniqueType());
        agent.send("/topic/tasks/anything", "{}");
        StompRefusals.assertEndedBy(agent.nextErrorFrame(), "may not send to /topic/tasks/anything");
    }

    @Test
    void refusesStaleCompletionsAndKeepsTheRecordedOutcome() {
        String type = uniqueType();
        TestAgent agent = agent(type);
        TestAgent stranger = agent(uniqueType());
        agent.heartbeat(1);
        String id = submit(alice, "{\"type\": \"" + type + "\"}").get("id").asString();
        TaskAssignment assignment = agent.nextAssignment();
        agent.started(assignment);

        agent.complete(assignment.taskId(), 2, Outcome.FAILED, "not my attempt", true);
        CompletionReceipt wrongAttempt = agent.nextReceipt();
        assertThat(wrongAttempt.recorded()).isFalse();
        assertThat(wrongAttempt.reason()).contains("not the current attempt");

        stranger.complete(assignment.taskId(), 1, Outcome.SUCCEEDED, null, false);
        assertThat(stranger.nextReceipt().recorded()).isFalse();
        assertThat(status(id)).isEqualTo("RUNNING");

        agent.complete(assignment.taskId(), 1, Outcome.SUCCEEDED, null, false);
        assertThat(agent.nextReceipt().recorded()).isTrue();
        agent.complete(assignment.taskId(), 1, Outcome.FAILED, "too late", true);
        CompletionReceipt late = agent.nextReceipt();
        assertThat(late.recorded()).isFalse();
        assertThat(late.reason()).contains("already SUCCEEDED");
        // the agent lost the first receipt and sends the recorded completion again
        agent.complete(assignment.taskId(), 1, Outcome.SUCCEEDED, null, false);
        assertThat(agent.nextReceipt().recorded()).isTrue();

        JsonNode done = task(alice, id);
        assertThat(done.get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(done.get("attempts")).hasSize(1);
        assertThat(done.get("attempts").get(0).get("status").asString()).isEqualTo("SUCCEEDED");
    }

    @Test
    void answersMessagesAboutAnotherAttemptWithAProtocolError() {
        TestAgent agent = agent(uniqueType());
        UUID unknown = UUID.randomUUID();
        agent.send(AgentDestinations.STARTED, new TaskStarted(unknown, 1, Instant.now()));

        ProtocolError error = TestAgent.next(agent.errors, "protocol error");
        assertThat(error.code()).isEqualTo("STALE_ATTEMPT");
        assertThat(error.taskId()).isEqualTo(unknown);
        assertThat(error.attempt()).isEqualTo(1);
    }

    @Test
    void assignsOnlyTasksWhoseRequirementsTheAgentMeets() {
        String type = uniqueType();
        String needsGpu = submit(alice, "{\"type\": \"" + type + "\", \"requirements\": {\"gpus\": 1}}")
                .get("id").asString();
        String needsBigGpu = submit(alice, "{\"type\": \"" + type
                + "\", \"requirements\": {\"gpus\": 1, \"gpuMemoryMb\": 80000}}").get("id").asString();
        String needsLabel = submit(alice, "{\"type\": \"" + type + "\", \"requirements\": {\"labels\": [\"region=us\"]}}")
                .get("id").asString();
        String forOther = submit(alice, "{\"type\": \"" + type + "\", \"targetWorkers\": [\"w-someone-else\"]}")
                .get("id").asString();
        String tooManyCpus = submit(alice, "{\"type\": \"" + type + "\", \"requirements\": {\"cpus\": 64}}")
                .get("id").asString();
        String otherType = submit(alice, "{\"type\": \"" + uniqueType() + "\"}").get("id").asString();
        String fits = submit(alice, "{\"type\": \"" + type
                + "\", \"requirements\": {\"cpus\": 4, \"labels\": [\"ssd\"], \"gpus\": 0}}").get("id").asString();

        TestAgent noGpu = agent(type).withCapabilities(8, List.of(), List.of("ssd", "region=eu"));
        noGpu.heartbeat(4);

        assertThat(noGpu.nextAssignment().taskId()).hasToString(fits);
        // every matching task is claimed in the same statement, so the others were considered and left
        for (String id : List.of(needsGpu, needsBigGpu, needsLabel, forOther, tooManyCpus, otherType)) {
            assertThat(status(id)).as(id).isEqualTo("QUEUED");
        }

        TestAgent withGpu = agent(type).withCapabilities(8, List.of(24_000L), List.of());
        withGpu.heartbeat(4);
        assertThat(withGpu.nextAssignment().taskId()).hasToString(needsGpu);
        assertThat(status(needsBigGpu)).isEqualTo("QUEUED");
        assertThat(noGpu.assignments).isEmpty();
    }

    @Test
    void aTaskOnlyOneOfManyIdleAgentsCanRunReachesIt() {
        // a round stops claiming once the queue holds nothing claimable; the other agents' empty claims must not
        // make it stop while the task is still queued, whatever order the round offers the agents in
        List<TestAgent> others = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            TestAgent other = agent(uniqueType());
            other.heartbeat(4);
            others.add(other);
        }
        String type = uniqueType();
        TestAgent able = agent(type);
        able.heartbeat(4);
        String id = submit(alice, "{\"type\": \"" + type + "\"}").get("id").asString();

        assertThat(able.nextAssignment().taskId()).hasToString(id);
        others.forEach(other -> assertThat(other.assignments).isEmpty());
    }

    @Test
    void targetedTaskGoesOnlyToTheNamedWorker() {
        String type = uniqueType();
        TestAgent named = agent(type);
        String id = submit(alice, "{\"type\": \"" + type + "\", \"targetWorkers\": [\"" + named.workerId + "\"]}")
                .get("id").asString();
        named.heartbeat(1);
        assertThat(named.nextAssignment().taskId()).hasToString(id);
    }

    @Test
    void assignsHigherPriorityFirst() {
        String type = uniqueType();
        String low = submit(alice, "{\"type\": \"" + type + "\", \"priority\": -5}").get("id").asString();
        String high = submit(alice, "{\"type\": \"" + type + "\", \"priority\": 50}").get("id").asString();
        String middle = submit(alice, "{\"type\": \"" + type + "\"}").get("id").asString();
        String middleLater = submit(alice, "{\"type\": \"" + type + "\"}").get("id").asString();

        TestAgent agent = agent(type);
        agent.heartbeat(1);
        List<String> order = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            TaskAssignment assignment = agent.nextAssignment();
            order.add(assignment.taskId().toString());
            assertThat(agent.assignments).as("one slot, one task at a time").isEmpty();
            agent.complete(assignment.taskId(), assignment.attempt(), Outcome.SUCCEEDED, null, false);
            assertThat(agent.nextReceipt().recorded()).isTrue();
        }
        assertThat(order).containsExactly(high, middle, middleLater, low);
    }

    @Test
    void requeuesRetryableFailureAndAssignsAttemptTwo() {
        String type = uniqueType();
        TestAgent agent = agent(type);
        agent.heartbeat(1);
        String id = submit(alice, "{\"type\": \"" + type + "\", \"maxAttempts\": 2}").get("id").asString();

        TaskAssignment first = agent.nextAssignment();
        agent.started(first);
        agent.complete(first.taskId(), 1, Outcome.FAILED, "exit code 3; disk full", true);
        assertThat(agent.nextReceipt().recorded()).isTrue();

        TaskAssignment second = agent.nextAssignment();
        assertThat(second.taskId()).hasToString(id);
        assertThat(second.attempt()).isEqualTo(2);
        JsonNode retried = task(alice, id);
        assertThat(retried.get("status").asString()).isEqualTo("ASSIGNED");
        assertThat(retried.get("attempt").asInt()).isEqualTo(2);
        assertThat(retried.get("attempts").get(0).get("status").asString()).isEqualTo("FAILED");
        assertThat(retried.get("attempts").get(0).get("error").asString()).isEqualTo("exit code 3; disk full");
        assertThat(retried.get("attempts").get(1).get("status").asString()).isEqualTo("RUNNING");

        // the last attempt's failure is final, with the agent's error
        agent.complete(second.taskId(), 2, Outcome.FAILED, "exit code 3; disk full", true);
        assertThat(agent.nextReceipt().recorded()).isTrue();
        JsonNode failed = task(alice, id);
        assertThat(failed.get("status").asString()).isEqualTo("FAILED");
        assertThat(failed.get("error").asString()).isEqualTo("exit code 3; disk full");
    }

    @Test
    void failsNonRetryableFailureAtOnce() {
        String type = uniqueType();
        TestAgent agent = agent(type);
        agent.heartbeat(1);
        String id = submit(alice, "{\"type\": \"" + type + "\"}").get("id").asString();
        TaskAssignment assignment = agent.nextAssignment();
        agent.complete(assignment.taskId(), 1, Outcome.FAILED, "invalid input: no images", false);
        assertThat(agent.nextReceipt().recorded()).isTrue();

        JsonNode failed = task(alice, id);
        assertThat(failed.get("status").asString()).isEqualTo("FAILED");
        assertThat(failed.get("attempt").asInt()).isEqualTo(1);
        assertThat(failed.get("error").asString()).isEqualTo("invalid input: no images");
    }

    @Test
    void cancelsRunningTaskAndTellsItsAgent() {
        String type = uniqueType();
        TestAgent agent = agent(type);
        agent.heartbeat(1);
        String id = submit(alice, "{\"type\": \"" + type + "\"}").get("id").asString();
        TaskAssignment assignment = agent.nextAssignment();
        agent.started(assignment);
        await().atMost(Duration.ofSeconds(10)).until(() -> status(id).equals("RUNNING"));

        Response cancelled = post(ApiPaths.TASKS + "/" + id + "/cancel", alice, "");
        assertThat(cancelled.status()).isEqualTo(200);
        assertThat(cancelled.json().get("status").asString()).isEqualTo("CANCELLED");
        assertThat(cancelled.json().get("error").asString()).isEqualTo("cancelled by alice");

        TaskCancellation cancellation = TestAgent.next(agent.cancellations, "cancellation");
        assertThat(cancellation.taskId()).isEqualTo(assignment.taskId());
        assertThat(cancellation.attempt()).isEqualTo(1);
        assertThat(cancellation.reason()).isEqualTo("cancelled by alice");

        agent.complete(assignment.taskId(), 1, Outcome.CANCELLED, "killed", false);
        assertThat(agent.nextReceipt().recorded()).isTrue();
        JsonNode done = task(alice, id);
        assertThat(done.get("status").asString()).isEqualTo("CANCELLED");
        assertThat(done.get("error").asString()).isEqualTo("cancelled by alice");
        assertThat(done.get("attempts").get(0).get("status").asString()).isEqualTo("CANCELLED");
        assertThat(post(ApiPaths.TASKS + "/" + id + "/cancel", alice, "").status()).isEqualTo(409);

        // the slot is free again
        String next = submit(alice, "{\"type\": \"" + type + "\"}").get("id").asString();
        assertThat(agent.nextAssignment().taskId()).hasToString(next);
    }

    @Test
    void requeuesWhatAReconnectedAgentNoLongerRunsAndKeepsWhatItStillRuns() {
        String type = uniqueType();
        TestAgent agent = agent(type);
        agent.heartbeat(2);
        String kept = submit(alice, "{\"type\": \"" + type + "\"}").get("id").asString();
        String forgotten = submit(alice, "{\"type\": \"" + type + "\"}").get("id").asString();
        List<TaskAssignment> held = List.of(agent.nextAssignment(), agent.nextAssignment());
        TaskAssignment keptAssignment = held.stream().filter(a -> a.taskId().toString().equals(kept)).findFirst()
                .orElseThrow();
        agent.close();

        TestAgent again = TestAgent.reconnect(port, agent.workerId, List.of(type));
        agents.add(again);
        again.heartbeat(1, new RunningAttempt(keptAssignment.taskId(), keptAssignment.attempt()));

        TaskAssignment retry = again.nextAssignment();
        assertThat(retry.taskId()).hasToString(forgotten);
        assertThat(retry.attempt()).isEqualTo(2);
        JsonNode lost = task(alice, forgotten);
        assertThat(lost.get("attempts").get(0).get("status").asString()).isEqualTo("LOST");
        assertThat(lost.get("attempts").get(0).get("error").asString()).contains(agent.workerId);
        JsonNode still = task(alice, kept);
        assertThat(still.get("status").asString()).isEqualTo("ASSIGNED");
        assertThat(still.get("attempt").asInt()).isEqualTo(1);
    }
}
