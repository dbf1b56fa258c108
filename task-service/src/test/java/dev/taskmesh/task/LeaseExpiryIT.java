package dev.taskmesh.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.taskmesh.contract.agent.RunningAttempt;
import dev.taskmesh.contract.agent.TaskAssignment;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/** Leases with a short lease: tasks of an agent that went away go back to the queue once its lease runs out. */
@TestPropertySource(properties = {
        "taskmesh.dispatch.lease=2s",
        "taskmesh.dispatch.sweep-interval=200ms",
        "taskmesh.dispatch.heartbeat-flush=200ms"})
class LeaseExpiryIT extends IntegrationTestBase {

    private final String alice = userToken("alice");

    @Test
    void requeuesTaskOfDisconnectedAgentWhenItsLeaseRunsOut() {
        String type = uniqueType();
        String id = submit(alice, "{\"type\": \"" + type + "\", \"maxAttempts\": 3}").get("id").asString();
        String lostWorker;
        try (TestAgent agent = TestAgent.connect(port, List.of(type))) {
            agent.heartbeat(1);
            TaskAssignment assignment = agent.nextAssignment();
            agent.started(assignment);
            await().atMost(Duration.ofSeconds(10)).until(() -> status(id).equals("RUNNING"));
            lostWorker = agent.workerId;
        }

        await().atMost(Duration.ofSeconds(20)).until(() -> status(id).equals("QUEUED"));
        JsonNode requeued = task(alice, id);
        assertThat(requeued.get("attempt").asInt()).as("kept until the next claim").isEqualTo(1);
        assertThat(requeued.get("workerId").isNull()).isTrue();
        JsonNode attempt = requeued.get("attempts").get(0);
        assertThat(attempt.get("status").asString()).isEqualTo("LOST");
        assertThat(attempt.get("error").asString())
                .isEqualTo("worker " + lostWorker + " lost the task (no heartbeat for 2s)");

        try (TestAgent other = TestAgent.connect(port, List.of(type))) {
            other.heartbeat(1);
            TaskAssignment retry = other.nextAssignment();
            assertThat(retry.taskId()).hasToString(id);
            assertThat(retry.attempt()).isEqualTo(2);
        }
    }

    @Test
    void failsTaskLostOnItsLastAttempt() {
        String type = uniqueType();
        String id = submit(alice, "{\"type\": \"" + type + "\", \"maxAttempts\": 1}").get("id").asString();
        String lostWorker;
        try (TestAgent agent = TestAgent.connect(port, List.of(type))) {
            agent.heartbeat(1);
            agent.nextAssignment();
            lostWorker = agent.workerId;
        }

        await().atMost(Duration.ofSeconds(20)).until(() -> status(id).equals("FAILED"));
        assertThat(task(alice, id).get("error").asString())
                .isEqualTo("worker " + lostWorker + " lost the task (no heartbeat for 2s) after 1 attempt");
    }

    @Test
    void keepsTasksOfAnAgentThatKeepsSendingHeartbeats() {
        String type = uniqueType();
        String id = submit(alice, "{\"type\": \"" + type + "\"}").get("id").asString();
        ScheduledExecutorService beats = Executors.newSingleThreadScheduledExecutor();
        try (TestAgent agent = TestAgent.connect(port, List.of(type))) {
            agent.heartbeat(1);
            TaskAssignment assignment = agent.nextAssignment();
            agent.started(assignment);
            RunningAttempt running = new RunningAttempt(assignment.taskId(), assignment.attempt());
            beats.scheduleAtFixedRate(() -> agent.heartbeat(0, running), 0, 500, TimeUnit.MILLISECONDS);

            // two whole leases pass; the heartbeats keep renewing it
            await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(6))
                    .until(() -> status(id).equals("RUNNING"));
        } finally {
            beats.shutdownNow();
        }
    }

    private String status(String id) {
        return task(alice, id).get("status").asString();
    }
}
