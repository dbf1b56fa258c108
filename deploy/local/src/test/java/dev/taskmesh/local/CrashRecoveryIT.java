package dev.taskmesh.local;

import static dev.taskmesh.local.CrashPlatform.LABEL;
import static dev.taskmesh.local.CrashPlatform.attempts;
import static dev.taskmesh.local.CrashPlatform.attemptsWith;
import static dev.taskmesh.local.CrashPlatform.release;
import static dev.taskmesh.local.CrashPlatform.waitingTask;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.contract.agent.CompletionReceipt;
import dev.taskmesh.contract.agent.Outcome;
import dev.taskmesh.contract.agent.ProtocolError;
import dev.taskmesh.contract.agent.RunningAttempt;
import dev.taskmesh.contract.agent.TaskAssignment;
import dev.taskmesh.local.GatewayApi.Answer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;

/**
 * Crashes for real, on the whole platform started from its jars: an agent killed with SIGKILL in the middle of a
 * task, the task-service killed with SIGKILL while tasks are queued and running, a worker whose lease ran out sending
 * its result anyway, and a cancel of a running process tree. What must hold every time: each accepted task ends in
 * exactly one recorded outcome, and no process of a task outlives its attempt.
 *
 * <p>The platform ({@link CrashPlatform}) has a {@value CrashPlatform#LEASE_TEXT} lease and three agents.
 */
@ExtendWith(CrashPlatform.Extension.class)
@Order(2) // after PlatformEndToEndIT, so that its platform and this one never run at the same time
class CrashRecoveryIT {

    private static final Duration LONG = Duration.ofSeconds(180);

    private static CrashPlatform crash;

    @BeforeAll
    static void platform(CrashPlatform shared) {
        crash = shared;
    }

    @Test
    void taskOfAnAgentKilledWithSigkillIsRunAgainOnAnotherAgentAndItsProcessesAreGone() {
        String token = crash.newUser("kill-agent");
        String marker = "crash-kill-agent-" + UUID.randomUUID();
        Path releaseFile = crash.newMarkerPath("release");
        String id = crash.submit(token, waitingTask(crash.waitScript, marker, releaseFile, List.of(LABEL), 3))
                .path("id").asString();

        // the task runs on some agent: that one is killed
        JsonNode running = crash.awaitTask(token, id, LONG, "running attempt 1", task ->
                "RUNNING".equals(task.path("status").asString()) && task.path("progress").path("percent").asInt() == 10);
        assertThat(running.path("attempt").asInt()).isEqualTo(1);
        String firstWorker = running.path("workerId").asString();
        String victim = agentOf(firstWorker);
        String firstAttempt = marker + ":attempt=1:";
        assertThat(MarkedProcesses.find(firstAttempt)).as("the processes of attempt 1 before the kill").isNotEmpty();

        List<Long> killed = crash.platform.killAgent(victim);

        assertThat(killed).hasSizeGreaterThan(1); // the agent's JVM and the task's processes
        assertThat(MarkedProcesses.find(firstAttempt)).as("processes of attempt 1 after SIGKILL of agent %s", victim)
                .isEmpty();

        // once the lease has run out, another agent runs it again
        JsonNode rerun = crash.awaitTask(token, id, LONG, "running attempt 2 on another agent", task ->
                "RUNNING".equals(task.path("status").asString()) && task.path("attempt").asInt() == 2
                        && task.path("progress").path("percent").asInt() == 10);
        assertThat(rerun.path("workerId").asString()).isNotEqualTo(firstWorker);
        assertThat(MarkedProcesses.find(marker + ":attempt=2:")).as("processes of attempt 2").isNotEmpty();

        release(releaseFile);
        JsonNode done = crash.awaitTask(token, id, LONG, "final", CrashPlatform::isFinal);

        assertThat(done.path("status").asString()).as("%s", done).isEqualTo("SUCCEEDED");
        assertThat(done.path("attempt").asInt()).isEqualTo(2);
        assertThat(done.path("workerId").asString()).isEqualTo(rerun.path("workerId").asString());
        List<JsonNode> attempts = attempts(done);
        assertThat(attempts).hasSize(2);
        assertThat(attempts.get(0).path("status").asString()).isEqualTo("LOST");
        assertThat(attempts.get(0).path("workerId").asString()).isEqualTo(firstWorker);
        assertThat(attempts.get(0).path("error").asString())
                .isEqualTo("worker " + firstWorker + " lost the task (no heartbeat for " + CrashPlatform.LEASE_TEXT + ")");
        assertThat(attempts.get(1).path("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(awaitResult(token, id, "released: attempt 2").path("attempt").asInt()).isEqualTo(2);
        assertThat(MarkedProcesses.find(marker)).as("any process of the task").isEmpty();

        // the killed agent comes back with the same worker id and token, and runs tasks again
        crash.platform.restartAgent(victim);
        String again = crash.submit(token, Map.of("type", "noop", "input", Map.of(),
                "requirements", Map.of("labels", List.of(LABEL)), "targetWorkers", List.of(firstWorker))).path("id").asString();
        JsonNode afterRestart = crash.awaitTask(token, again, LONG, "final", CrashPlatform::isFinal);
        assertThat(afterRestart.path("status").asString()).as("%s", afterRestart).isEqualTo("SUCCEEDED");
        assertThat(afterRestart.path("workerId").asString()).isEqualTo(firstWorker);
    }

    @Test
    void everyAcceptedTaskEndsExactlyOnceAfterTheTaskServiceIsKilledAndRestarted() {
        String token = crash.newUser("kill-service");
        String marker = "crash-kill-service-" + UUID.randomUUID();
        Path releaseLong = crash.newMarkerPath("release-long");
        Path releaseBlockers = crash.newMarkerPath("release-blockers");
        // room for one loss caused by the crash and one more by a slow CI machine
        int maxAttempts = 5;
        Set<String> accepted = new LinkedHashSet<>();
        List<String> longTasks = new ArrayList<>();
        List<String> quickTasks = new ArrayList<>();

        // three long tasks that run through the crash, and blockers that fill every other slot
        for (int i = 0; i < 3; i++) {
            longTasks.add(crash.submit(token, waitingTask(crash.waitScript, marker + "-long-" + i, releaseLong,
                    List.of(LABEL), maxAttempts)).path("id").asString());
        }
        int blockers = CrashPlatform.AGENTS.size() * CrashPlatform.SLOTS - longTasks.size();
        List<String> blockerTasks = new ArrayList<>();
        for (int i = 0; i < blockers; i++) {
            blockerTasks.add(crash.submit(token, waitingTask(crash.waitScript, marker + "-blocker-" + i,
                    releaseBlockers, List.of(LABEL), maxAttempts)).path("id").asString());
        }
        accepted.addAll(longTasks);
        accepted.addAll(blockerTasks);
        await().atMost(LONG).pollInterval(Duration.ofMillis(250)).untilAsserted(() ->
                assertThat(statuses(token)).as("every slot busy").containsOnlyKeys("RUNNING"));

        // so fifty quick tasks wait in the queue
        for (int i = 0; i < 50; i++) {
            JsonNode created = crash.submit(token, Map.of("type", "command",
                    "input", Map.of("argv", List.of("sh", "-c", "echo quick " + marker + "; sleep 0.2")),
                    "requirements", Map.of("labels", List.of(LABEL)),
                    "maxAttempts", maxAttempts));
            quickTasks.add(created.path("id").asString());
        }
        accepted.addAll(quickTasks);
        assertThat(statuses(token)).containsEntry("QUEUED", 50L);

        // the blockers finish and quick tasks start to flow; then the task-service dies mid-stream
        release(releaseBlockers);
        Map<String, Long> atKill = new TreeMap<>();
        await().atMost(LONG).pollInterval(Duration.ofMillis(100)).until(() -> {
            Map<String, String> byId = statusById(token);
            long quickDone = quickTasks.stream().filter(id -> "SUCCEEDED".equals(byId.get(id))).count();
            if (quickDone < 5) {
                return false;
            }
            atKill.clear();
            quickTasks.forEach(id -> atKill.merge("quick " + byId.get(id), 1L, Long::sum));
            longTasks.forEach(id -> atKill.merge("long " + byId.get(id), 1L, Long::sum));
            return true;
        });
        List<Long> killed = crash.platform.killService(Component.TASK_SERVICE);
        System.out.println("Killed the task-service (pids " + killed + ") with the tasks at " + atKill);
        assertThat(atKill).as("the state the crash hit").containsEntry("long RUNNING", 3L);
        assertThat(atKill.getOrDefault("quick QUEUED", 0L) + atKill.getOrDefault("quick ASSIGNED", 0L)
                + atKill.getOrDefault("quick RUNNING", 0L)).as("quick tasks in flight at the crash: %s", atKill)
                .isPositive();

        // a submission while it is down is refused, not half-accepted
        Answer refused = crash.api.post(ApiPaths.TASKS, token, Map.of("type", "noop", "input", Map.of(),
                "requirements", Map.of("labels", List.of(LABEL))));
        assertThat(refused.status()).as("submission while the task-service is down: %s", refused)
                .isGreaterThanOrEqualTo(500);

        Instant restarted = Instant.now();
        crash.platform.restartService(Component.TASK_SERVICE);
        crash.platform.awaitAgentsConnected(restarted, LONG);
        release(releaseLong);

        await().atMost(LONG).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                assertThat(statuses(token)).as("every task final").containsOnlyKeys("SUCCEEDED"));
        List<JsonNode> all = crash.allTasks(token);
        assertThat(all).extracting(task -> task.path("id").asString())
                .as("the tasks listed are exactly the accepted ones, each once")
                .containsExactlyInAnyOrderElementsOf(accepted);
        for (JsonNode task : all) {
            assertExactlyOneSuccess(task);
        }
        for (String id : longTasks) {
            JsonNode task = crash.task(token, id);
            // their agents kept running them and said so on reconnecting: the restart re-ran none of them
            assertThat(task.path("attempt").asInt()).as("attempts of long task %s", id).isEqualTo(1);
            JsonNode result = awaitResult(token, id, "released: attempt " + task.path("attempt").asInt());
            assertThat(result.path("attempt").asInt()).as("result of %s", id).isEqualTo(task.path("attempt").asInt());
            assertThat(result.path("workerId").asString()).isEqualTo(task.path("workerId").asString());
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(MarkedProcesses.find(marker)).as("processes of the tasks").isEmpty());
        long rerun = all.stream().filter(task -> task.path("attempt").asInt() > 1).count();
        long lost = all.stream().mapToLong(task -> attemptsWith(task, "LOST")).sum();
        long stale = all.stream().mapToLong(task -> attemptsWith(task, "STALE")).sum();
        System.out.printf("task-service crash: %d tasks accepted, %d final once, %d run more than once, "
                + "%d attempts LOST, %d STALE%n", accepted.size(), all.size(), rerun, lost, stale);
    }

    @Test
    void resultOfAnAttemptWhoseLeaseRanOutIsRefusedAndTheNewAttemptsOutcomeStands() {
        String token = crash.newUser("stale");
        String label = "fence-" + UUID.randomUUID().toString().substring(0, 8);
        LocalWorker rawWorker = crash.newWorker("raw-" + label, List.of(label));
        String marker = "crash-stale-" + UUID.randomUUID();
        Path releaseFile = crash.newMarkerPath("release");

        try (RawAgent raw = RawAgent.connect(crash.platform.gatewayUrl(), rawWorker.id(),
                crash.api.workerToken(rawWorker), List.of(label))) {
            // attempt 1 goes to the raw agent, the only worker with the label
            raw.heartbeat(1);
            String id = crash.submit(token, waitingTask(crash.waitScript, marker, releaseFile, List.of(label), 3))
                    .path("id").asString();
            UUID taskId = UUID.fromString(id);
            TaskAssignment first = raw.nextAssignment();
            assertThat(first.taskId()).isEqualTo(taskId);
            assertThat(first.attempt()).isEqualTo(1);
            raw.heartbeat(0, new RunningAttempt(taskId, 1));
            raw.started(taskId, 1);
            crash.awaitTask(token, id, LONG, "running attempt 1 on the raw agent", task ->
                    "RUNNING".equals(task.path("status").asString()) && task.path("attempt").asInt() == 1);

            // then it falls silent: the lease runs out, and a real agent with the label takes attempt 2
            String realWorker = crash.platform.startAgent(new AgentSpec(label, List.of(label), 1));
            JsonNode second = crash.awaitTask(token, id, LONG, "running attempt 2 on the real agent", task ->
                    "RUNNING".equals(task.path("status").asString()) && task.path("attempt").asInt() == 2);
            assertThat(second.path("workerId").asString()).isEqualTo(realWorker);
            assertThat(attempts(second).getFirst().path("status").asString()).isEqualTo("LOST");

            // the stale attempt reports progress: refused
            raw.progress(taskId, 1, 50, "Still here");
            ProtocolError error = raw.nextError();
            assertThat(error.code()).isEqualTo("STALE_ATTEMPT");
            assertThat(error.taskId()).isEqualTo(taskId);
            assertThat(error.attempt()).isEqualTo(1);

            // and uploads and completes anyway, while attempt 2 runs: not recorded
            Answer upload = crash.api.put(ApiPaths.TASKS + "/" + id + "/attempts/1/log",
                    crash.api.workerToken(rawWorker), "text/plain; charset=utf-8",
                    ("stale output of " + marker + "\n").getBytes(StandardCharsets.UTF_8));
            System.out.println("Upload of the stale attempt's log: HTTP " + upload.status());
            raw.complete(taskId, 1, Outcome.SUCCEEDED);
            CompletionReceipt receipt = raw.nextReceipt();
            assertThat(receipt.taskId()).isEqualTo(taskId);
            assertThat(receipt.attempt()).isEqualTo(1);
            assertThat(receipt.recorded()).isFalse();
            assertThat(receipt.reason()).contains("attempt 1", "not the current attempt");
            JsonNode unchanged = crash.task(token, id);
            assertThat(unchanged.path("status").asString()).isEqualTo("RUNNING");
            assertThat(unchanged.path("attempt").asInt()).isEqualTo(2);
            assertThat(unchanged.path("progress").path("stage").asString()).isNotEqualTo("Still here");

            // attempt 2's outcome is the task's, with attempt 2's log
            release(releaseFile);
            JsonNode done = crash.awaitTask(token, id, LONG, "final", CrashPlatform::isFinal);
            assertThat(done.path("status").asString()).as("%s", done).isEqualTo("SUCCEEDED");
            assertThat(done.path("attempt").asInt()).isEqualTo(2);
            assertThat(done.path("workerId").asString()).isEqualTo(realWorker);
            assertThat(attempts(done)).extracting(a -> a.path("status").asString()).containsExactly("LOST", "SUCCEEDED");
            JsonNode result = awaitResult(token, id, "released: attempt 2");
            assertThat(result.path("attempt").asInt()).isEqualTo(2);
            assertThat(result.path("workerId").asString()).isEqualTo(realWorker);
            assertThat(result.path("log").asString()).doesNotContain("stale output");

            // a late repeat of the stale completion changes nothing either
            raw.complete(taskId, 1, Outcome.FAILED);
            assertThat(raw.nextReceipt().recorded()).isFalse();
            JsonNode after = crash.task(token, id);
            assertThat(after.path("status").asString()).isEqualTo("SUCCEEDED");
            assertThat(after.path("attempt").asInt()).isEqualTo(2);
        }
    }

    @Test
    void cancelKillsTheRunningProcessTreeAndKeepsThePartialLog() {
        String token = crash.newUser("cancel");
        String marker = "crash-cancel-" + UUID.randomUUID();
        String id = crash.submit(token, Map.of("type", "command",
                "input", Map.of("argv", List.of("bash", crash.childrenScript.toString(), marker)),
                "requirements", Map.of("labels", List.of(LABEL)))).path("id").asString();
        crash.awaitTask(token, id, LONG, "running with its children", task ->
                "RUNNING".equals(task.path("status").asString()) && task.path("progress").path("percent").asInt() == 10);
        // the script and its two sleeps
        assertThat(MarkedProcesses.find(marker)).as("the process tree before the cancel").hasSizeGreaterThanOrEqualTo(3);

        Answer cancel = crash.api.post(ApiPaths.TASKS + "/" + id + "/cancel", token, Map.of());

        assertThat(cancel.status()).as("%s", cancel).isEqualTo(200);
        JsonNode cancelled = crash.task(token, id);
        assertThat(cancelled.path("status").asString()).isEqualTo("CANCELLED");
        assertThat(cancelled.path("error").asString()).startsWith("cancelled by ");
        // the agent stops the tree (SIGTERM, SIGKILL after its grace), uploads the partial log, then completes
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                assertThat(MarkedProcesses.find(marker)).as("processes of the cancelled task").isEmpty());
        JsonNode result = awaitResult(token, id, "partial output of attempt 1 before the cancel");
        assertThat(result.path("status").asString()).isEqualTo("CANCELLED");
        assertThat(result.path("attempt").asInt()).isEqualTo(1);
        assertThat(result.path("log").asString()).contains("killing the process tree");
        JsonNode after = crash.task(token, id);
        assertThat(after.path("status").asString()).isEqualTo("CANCELLED");
        assertThat(attempts(after)).extracting(a -> a.path("status").asString()).containsExactly("CANCELLED");
    }

    private static void assertExactlyOneSuccess(JsonNode task) {
        String id = task.path("id").asString();
        assertThat(task.path("status").asString()).as("status of %s", id).isEqualTo("SUCCEEDED");
        List<JsonNode> attempts = attempts(task);
        assertThat(attemptsWith(task, "SUCCEEDED")).as("SUCCEEDED attempts of %s: %s", id, attempts).isEqualTo(1);
        assertThat(attemptsWith(task, "RUNNING")).as("attempts of %s left open: %s", id, attempts).isZero();
        JsonNode last = attempts.getLast();
        assertThat(last.path("attempt").asInt()).as("attempts of %s", id).isEqualTo(task.path("attempt").asInt());
        assertThat(last.path("status").asString()).as("the recorded attempt of %s", id).isEqualTo("SUCCEEDED");
        assertThat(attempts).extracting(a -> a.path("attempt").asInt()).as("attempt numbers of %s", id)
                .doesNotHaveDuplicates();
    }

    /** The agent whose worker this is. */
    private static String agentOf(String workerId) {
        return crash.platform.agentNames().stream()
                .filter(name -> crash.platform.agentWorkerId(name).equals(workerId))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no agent has worker " + workerId));
    }

    /** Status counts of the caller's tasks. */
    private static Map<String, Long> statuses(String token) {
        return statusById(token).values().stream().collect(Collectors.groupingBy(s -> s, TreeMap::new,
                Collectors.counting()));
    }

    private static Map<String, String> statusById(String token) {
        Map<String, String> byId = new HashMap<>();
        crash.allTasks(token).forEach(task -> byId.put(task.path("id").asString(), task.path("status").asString()));
        return byId;
    }

    /** The task's result, once its log (uploaded after the outcome) contains {@code text}. */
    private static JsonNode awaitResult(String token, String id, String text) {
        var last = new AtomicReference<Answer>();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            Answer answer = crash.api.get(ApiPaths.TASKS + "/" + id + "/result", token);
            last.set(answer);
            assertThat(answer.status()).as("%s", answer).isEqualTo(200);
            assertThat(answer.json().path("log").asString()).as("%s", answer).contains(text);
        });
        return last.get().json();
    }
}
