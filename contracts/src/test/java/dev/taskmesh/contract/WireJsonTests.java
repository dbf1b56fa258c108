package dev.taskmesh.contract;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskmesh.contract.agent.Capabilities;
import dev.taskmesh.contract.agent.CompletionReceipt;
import dev.taskmesh.contract.agent.CompletionReceipts;
import dev.taskmesh.contract.agent.ChildFinished;
import dev.taskmesh.contract.agent.ChildSubmission;
import dev.taskmesh.contract.agent.ChildSubmitted;
import dev.taskmesh.contract.agent.Gpu;
import dev.taskmesh.contract.agent.Heartbeat;
import dev.taskmesh.contract.agent.LogLine;
import dev.taskmesh.contract.agent.LogStream;
import dev.taskmesh.contract.agent.OutputFile;
import dev.taskmesh.contract.agent.Outcome;
import dev.taskmesh.contract.agent.RunningAttempt;
import dev.taskmesh.contract.agent.TaskAssignment;
import dev.taskmesh.contract.agent.TaskAssignments;
import dev.taskmesh.contract.agent.TaskCompletion;
import dev.taskmesh.contract.agent.TaskCompletions;
import dev.taskmesh.contract.agent.TaskLog;
import dev.taskmesh.contract.agent.TaskProgress;
import dev.taskmesh.contract.agent.WorkerHeartbeats;
import dev.taskmesh.contract.task.TaskStatus;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class WireJsonTests {

    private static final Instant AT = Instant.parse("2026-11-21T10:15:30.123Z");
    private static final UUID TASK = UUID.fromString("6f1c2a4e-8b5d-4c1f-9a7e-2d3b4c5d6e7f");

    @Test
    void heartbeatSurvivesRoundTrip() {
        var heartbeat = new Heartbeat(new Capabilities(16, 64_000, List.of(new Gpu(0, "NVIDIA H100", 81_559, "550.54")),
                List.of("command"), List.of("gpu", "region=eu"), 4, "node-1", "0.1.0"),
                List.of(new RunningAttempt(TASK, 2)), 3, AT);

        assertThat(roundTrip(heartbeat, Heartbeat.class)).isEqualTo(heartbeat);
    }

    @Test
    void assignmentKeepsArbitraryInputJson() {
        JsonNode input = WireJson.mapper().readTree("{\"argv\":[\"echo\",\"hi\"],\"env\":{\"A\":\"1\"},\"n\":[1,2.5,null]}");
        var assignment = new TaskAssignment(TASK, 1, "command", input, 60, "alice", AT, Map.of());

        assertThat(roundTrip(assignment, TaskAssignment.class)).isEqualTo(assignment);
    }

    @Test
    void progressLogAndCompletionSurviveRoundTrip() {
        var progress = new TaskProgress(TASK, 1, 40, "Resizing images", null, AT);
        var log = new TaskLog(TASK, 1, List.of(new LogLine(1, AT, LogStream.STDERR, "warning: ünïcode ✓")));
        var completion = new TaskCompletion(TASK, 1, Outcome.FAILED, 3, "exit code 3", true,
                List.of(new OutputFile("out.txt", 12, "ab12")), AT, AT,
                WireJson.mapper().readTree("{\"answer\":42}"));

        assertThat(roundTrip(progress, TaskProgress.class)).isEqualTo(progress);
        assertThat(roundTrip(log, TaskLog.class)).isEqualTo(log);
        assertThat(roundTrip(completion, TaskCompletion.class)).isEqualTo(completion);
    }

    @Test
    void forwardedHeartbeatReadsAMissingDrainingFlagAsFalse() {
        var heartbeat = new Heartbeat(new Capabilities(2, 1024, List.of(), List.of("command"), List.of(), 1, "n", "v"),
                List.of(), 1, AT);
        String older = "{\"heartbeats\":[{\"workerId\":\"w-1\",\"heartbeat\":"
                + WireJson.mapper().writeValueAsString(heartbeat) + ",\"receivedAt\":\"2026-11-21T10:15:30.123Z\"}]}";
        var drained = new WorkerHeartbeats(List.of(new WorkerHeartbeats.Received("w-2", heartbeat, AT, true)));

        WorkerHeartbeats read = WireJson.mapper().readValue(older, WorkerHeartbeats.class);

        assertThat(read.heartbeats().getFirst()).isEqualTo(new WorkerHeartbeats.Received("w-1", heartbeat, AT));
        assertThat(read.heartbeats().getFirst().draining()).isFalse();
        assertThat(WireJson.mapper().writeValueAsString(drained)).contains("\"draining\":true");
        assertThat(roundTrip(drained, WorkerHeartbeats.class)).isEqualTo(drained);
    }

    @Test
    void instantsAreWrittenAsIsoText() {
        String json = WireJson.mapper().writeValueAsString(new TaskProgress(TASK, 1, null, null, null, AT));

        assertThat(json).contains("\"at\":\"2026-11-21T10:15:30.123Z\"");
    }

    @Test
    void unknownFieldsFromNewerPeersAreIgnored() {
        String json = "{\"taskId\":\"" + TASK + "\",\"attempt\":1,\"startedAt\":\"2026-11-21T10:15:30Z\",\"future\":true}";

        var started = WireJson.mapper().readValue(json, dev.taskmesh.contract.agent.TaskStarted.class);

        assertThat(started.attempt()).isEqualTo(1);
    }

    @Test
    void finalStatesAllowNoFurtherChange() {
        for (TaskStatus done : List.of(TaskStatus.SUCCEEDED, TaskStatus.FAILED, TaskStatus.CANCELLED)) {
            for (TaskStatus next : TaskStatus.values()) {
                assertThat(done.canMoveTo(next)).as("%s -> %s", done, next).isFalse();
            }
        }
        assertThat(TaskStatus.QUEUED.canMoveTo(TaskStatus.RUNNING)).isFalse();
        assertThat(TaskStatus.RUNNING.canMoveTo(TaskStatus.QUEUED)).isTrue();
    }

    @Test
    void childMessagesSurviveRoundTrip() {
        JsonNode task = WireJson.mapper().readTree("{\"type\":\"command\",\"input\":{\"argv\":[\"true\"]}}");
        var submission = new ChildSubmission(TASK, 2, "2-1", task);
        var submitted = new ChildSubmitted("2-1", UUID.fromString("0b6b7c1e-2f4a-4d6b-8e9f-0a1b2c3d4e5f"), null);
        var refused = new ChildSubmitted("2-2", null, "input.argv must be a non-empty array");
        var finished = new ChildFinished(TASK, submitted.taskId(), "FAILED", "exit code 1", "w-1");

        assertThat(roundTrip(submission, ChildSubmission.class)).isEqualTo(submission);
        assertThat(roundTrip(submitted, ChildSubmitted.class)).isEqualTo(submitted);
        assertThat(roundTrip(refused, ChildSubmitted.class)).isEqualTo(refused);
        assertThat(roundTrip(finished, ChildFinished.class)).isEqualTo(finished);
        assertThat(WireJson.mapper().writeValueAsString(submitted)).contains("\"requestId\":\"2-1\"", "\"taskId\"");
    }

    @Test
    void sizeBoundIsNeverBelowTheBytesWritten() {
        String[] inputs = {
                "{}",
                "{\"argv\": [\"python3\", \"train.py\"], \"env\": {\"SEED\": \"7\"}, \"n\": -12.5e300, \"ok\": true}",
                "{\"control\": \"\\u0001\\u001f\\t\\n\", \"quote\": \"\\\"\\\\\", \"big\": 123456789012345678901234567890}",
                "{\"ünïcödé €\": \"日本語のテキスト\", \"emoji\": \"\uD83D\uDE80\uD83D\uDE80\", \"nested\": [[[null, false]]]}",
        };
        for (String input : inputs) {
            JsonNode node = WireJson.mapper().readTree(input);
            int written = WireJson.mapper().writeValueAsBytes(node).length;
            assertThat(WireJson.sizeBound(node)).as(input).isGreaterThanOrEqualTo(written);
        }
    }

    @Test
    void batchesSurviveRoundTrip() {
        var assignment = new TaskAssignment(TASK, 1, "noop", WireJson.mapper().readTree("{\"i\": 1}"), null, "alice",
                AT, Map.of());
        var completion = new TaskCompletion(TASK, 1, Outcome.SUCCEEDED, null, null, false, List.of(), AT, AT,
                WireJson.mapper().readTree("{\"ok\": true}"));
        var receipt = new CompletionReceipt(TASK, 1, false, "stale");

        assertThat(roundTrip(new TaskAssignments(List.of(assignment, assignment)), TaskAssignments.class).assignments())
                .containsExactly(assignment, assignment);
        assertThat(roundTrip(new TaskCompletions(List.of(completion)), TaskCompletions.class).completions())
                .containsExactly(completion);
        assertThat(roundTrip(new CompletionReceipts(List.of(receipt)), CompletionReceipts.class).receipts())
                .containsExactly(receipt);
    }

    private static <T> T roundTrip(T value, Class<T> type) {
        return WireJson.mapper().readValue(WireJson.mapper().writeValueAsString(value), type);
    }
}
