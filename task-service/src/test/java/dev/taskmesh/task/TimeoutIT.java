package dev.taskmesh.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.taskmesh.contract.agent.CompletionReceipt;
import dev.taskmesh.contract.agent.Outcome;
import dev.taskmesh.contract.agent.RunningAttempt;
import dev.taskmesh.contract.agent.TaskAssignment;
import dev.taskmesh.contract.agent.TaskCancellation;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Time limits with a short lease (the server's grace on a run-time limit) and a long retry backoff: the server's
 * safety net for run-time limits, and a lost attempt going back to the queue behind its backoff.
 */
@TestPropertySource(properties = {
        "taskmesh.dispatch.lease=2s",
        "taskmesh.dispatch.sweep-interval=200ms",
        "taskmesh.dispatch.heartbeat-flush=200ms",
        "taskmesh.tasks.retry-backoff=1h",
        "taskmesh.tasks.retry-backoff-max=1h"})
class TimeoutIT extends IntegrationTestBase {

    private final String alice = userToken("alice");

    @Autowired
    private JdbcTemplate jdbc;

    @Test
    void serverFailsATaskItsAgentKeepsPastTheRunTimeLimitAndTellsTheAgentToStop() {
        String type = uniqueType();
        String id = submit(alice, "{\"type\": \"" + type + "\", \"timeoutSeconds\": 1, \"maxAttempts\": 3}")
                .get("id").asString();
        ScheduledExecutorService beats = Executors.newSingleThreadScheduledExecutor();
        try (TestAgent agent = TestAgent.connect(port, List.of(type))) {
            agent.heartbeat(1);
            TaskAssignment assignment = agent.nextAssignment();
            assertThat(assignment.timeoutSeconds()).isEqualTo(1);
            agent.started(assignment);
            // an agent that keeps its lease but never enforces the limit
            RunningAttempt running = new RunningAttempt(assignment.taskId(), assignment.attempt());
            beats.scheduleAtFixedRate(() -> agent.heartbeat(0, running), 0, 300, TimeUnit.MILLISECONDS);

            TaskCancellation cancellation = TestAgent.next(agent.cancellations, "cancellation");
            assertThat(cancellation.taskId()).hasToString(id);
            assertThat(cancellation.attempt()).isEqualTo(1);
            assertThat(cancellation.reason()).isEqualTo("timed out after 1 s (server)");
            JsonNode failed = task(alice, id);
            assertThat(failed.get("status").asString()).as("final, though attempts remain").isEqualTo("FAILED");
            assertThat(failed.get("error").asString()).isEqualTo("timed out after 1 s (server)");
            assertThat(failed.get("attempts").get(0).get("status").asString()).isEqualTo("FAILED");
            assertThat(failed.get("attempts").get(0).get("error").asString())
                    .isEqualTo("timed out after 1 s (server)");

            // the agent stops it and reports: the outcome is already recorded
            agent.complete(assignment.taskId(), 1, Outcome.CANCELLED, "cancelled: timed out after 1 s (server)",
                    false);
            CompletionReceipt receipt = agent.nextReceipt();
            assertThat(receipt.recorded()).isFalse();
            assertThat(task(alice, id).get("status").asString()).isEqualTo("FAILED");
        } finally {
            beats.shutdownNow();
        }
    }

    @Test
    void lostAttemptGoesBackToTheQueueBehindItsBackoff() {
        String type = uniqueType();
        String id = submit(alice, "{\"type\": \"" + type + "\", \"maxAttempts\": 3}").get("id").asString();
        String lostWorker;
        try (TestAgent agent = TestAgent.connect(port, List.of(type))) {
            agent.heartbeat(1);
            agent.started(agent.nextAssignment());
            await().atMost(Duration.ofSeconds(10)).until(() -> status(id).equals("RUNNING"));
            lostWorker = agent.workerId;
        }

        await().atMost(Duration.ofSeconds(20)).until(() -> status(id).equals("QUEUED"));
        JsonNode requeued = task(alice, id);
        assertThat(requeued.get("attempts").get(0).get("status").asString()).isEqualTo("LOST");
        assertThat(requeued.get("error").asString()).contains(lostWorker);
        // full jitter over [0, 1 h] from the moment it was lost (a delay of exactly 0 ms would leave it null)
        Map<String, Object> row = jdbc.queryForMap("""
                SELECT run_after IS NOT NULL AND run_after >= queued_at
                       AND run_after <= queued_at + interval '1 hour' AS in_backoff,
                       dispatch_at = run_after AS keyed_by_run_after
                FROM tasks WHERE id = ?""", UUID.fromString(id));
        assertThat(row).containsEntry("in_backoff", true).containsEntry("keyed_by_run_after", true);
    }

    private String status(String id) {
        return task(alice, id).get("status").asString();
    }
}
