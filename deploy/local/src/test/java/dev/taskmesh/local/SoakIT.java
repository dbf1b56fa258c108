package dev.taskmesh.local;

import static dev.taskmesh.local.CrashPlatform.LABEL;
import static dev.taskmesh.local.CrashPlatform.attempts;
import static dev.taskmesh.local.CrashPlatform.attemptsWith;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.local.GatewayApi.Answer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;

/**
 * A bounded soak, on loopback only: {@value #DEFAULT_TASKS} {@code noop} tasks by default ({@code
 * -Dtaskmesh.soak.tasks=N}, at most {@value #MAX_TASKS}) submitted by {@value #CLIENTS} client threads through the
 * gateway and run by the three agents of {@link CrashPlatform}, while agent {@value #VICTIM} is killed with SIGKILL
 * and started again, twice. At the end every task the API accepted (answered 201) has exactly one final outcome, and
 * none is lost. The figures go to stdout.
 */
@ExtendWith(CrashPlatform.Extension.class)
@Order(3)
class SoakIT {

    static final int DEFAULT_TASKS = 1_000;
    static final int MAX_TASKS = 5_000;
    static final int CLIENTS = 4;
    static final String VICTIM = "b";
    /** When the kills happen: after this share of the tasks has ended. */
    private static final double[] KILL_AT = {0.2, 0.5};
    private static final Duration SUBMIT_LIMIT = Duration.ofMinutes(3);
    private static final Duration FINISH_LIMIT = Duration.ofSeconds(330);

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void everyAcceptedTaskEndsExactlyOnceWhileAnAgentIsKilledAndRestartedTwice(CrashPlatform crash)
            throws InterruptedException {
        int tasks = Integer.getInteger("taskmesh.soak.tasks", DEFAULT_TASKS);
        assertThat(tasks).as("taskmesh.soak.tasks").isBetween(1, MAX_TASKS);
        String token = crash.newUser("soak");
        Set<String> accepted = ConcurrentHashMap.newKeySet();
        Map<String, Integer> refused = new ConcurrentHashMap<>();
        AtomicInteger tickets = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<String> kills = new CopyOnWriteArrayList<>();
        long started = System.nanoTime();
        long submitDeadline = started + SUBMIT_LIMIT.toNanos();
        long finishDeadline = started + FINISH_LIMIT.toNanos();
        Map<String, Object> noop = Map.of("type", "noop", "input", Map.of(),
                "requirements", Map.of("labels", List.of(LABEL)));

        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            clients.add(Thread.ofPlatform().name("soak-client-" + c).start(() -> {
                while (tickets.getAndIncrement() < tasks && System.nanoTime() < submitDeadline) {
                    try {
                        Answer answer = crash.api.post(ApiPaths.TASKS, token, noop);
                        if (answer.status() == 201) {
                            accepted.add(answer.json().path("id").asString());
                        } else {
                            refused.merge("HTTP " + answer.status(), 1, Integer::sum);
                        }
                    } catch (RuntimeException e) {
                        // no answer: the task may or may not exist, so it may show up in the list unannounced
                        refused.merge("no answer", 1, Integer::sum);
                    }
                }
            }));
        }
        Thread chaos = Thread.ofPlatform().name("soak-chaos").start(() -> {
            try {
                for (double share : KILL_AT) {
                    long target = Math.round(tasks * share);
                    await().atMost(remaining(finishDeadline)).pollInterval(Duration.ofMillis(200))
                            .until(() -> finalCount(crash, token) >= target);
                    long finals = finalCount(crash, token);
                    List<Long> pids = crash.platform.killAgent(VICTIM);
                    crash.platform.restartAgent(VICTIM);
                    kills.add("after " + finals + " final (" + pids.size() + " processes killed)");
                }
            } catch (Throwable e) {
                failure.set(e);
            }
        });

        for (Thread client : clients) {
            client.join();
        }
        long submitted = System.nanoTime();
        chaos.join(Math.max(1, remaining(finishDeadline).toMillis()));
        assertThat(failure.get()).as("the kills and restarts").isNull();
        assertThat(chaos.isAlive()).as("the kills and restarts ended in time").isFalse();
        assertThat(kills).as("kills of agent %s", VICTIM).hasSize(KILL_AT.length);

        AtomicLong finals = new AtomicLong();
        try {
            await().atMost(remaining(finishDeadline)).pollInterval(Duration.ofMillis(500)).until(() -> {
                finals.set(finalCount(crash, token));
                return finals.get() >= accepted.size();
            });
        } catch (ConditionTimeoutException e) {
            // the figures below say how far it got
        }
        long ended = System.nanoTime();

        // each accepted task is listed once and final once; nothing else is listed but what went unanswered
        List<JsonNode> all = crash.allTasks(token);
        Set<String> listed = new HashSet<>();
        Map<String, Long> byStatus = new TreeMap<>();
        List<String> violations = new ArrayList<>();
        long rerun = 0;
        long lost = 0;
        long stale = 0;
        Map<String, Long> lostBy = new TreeMap<>();
        for (JsonNode task : all) {
            String id = task.path("id").asString();
            if (!listed.add(id)) {
                violations.add("listed twice: " + id);
            }
            byStatus.merge(task.path("status").asString(), 1L, Long::sum);
            List<JsonNode> attempts = attempts(task);
            if (!"SUCCEEDED".equals(task.path("status").asString()) || attemptsWith(task, "SUCCEEDED") != 1
                    || attemptsWith(task, "RUNNING") != 0 || attempts.isEmpty()
                    || attempts.getLast().path("attempt").asInt() != task.path("attempt").asInt()) {
                violations.add("not succeeded exactly once: " + task);
            }
            if (task.path("attempt").asInt() > 1) {
                rerun++;
            }
            lost += attemptsWith(task, "LOST");
            attempts.stream().filter(a -> "LOST".equals(a.path("status").asString()))
                    .forEach(a -> lostBy.merge(lossCause(a.path("error").asString()), 1L, Long::sum));
            stale += attemptsWith(task, "STALE");
        }
        Set<String> missing = new HashSet<>(accepted);
        missing.removeAll(listed);
        int unanswered = refused.getOrDefault("no answer", 0);

        double seconds = (ended - started) / 1e9;
        System.out.printf(Locale.ROOT, """
                ===== Soak figures =====
                tasks requested:       %d
                tasks accepted (201):  %d%s
                refused submissions:   %s
                final outcomes:        %d of %d listed %s
                accepted, not listed:  %d
                duration:              %.1f s (submitting %.1f s)
                throughput:            %.1f tasks/s (accepted / duration)
                tasks run > 1 time:    %d
                LOST attempts:         %d %s
                STALE attempts:        %d
                kills of agent %s:      %s
                ========================
                %n""", tasks, accepted.size(),
                accepted.size() + refused.values().stream().mapToInt(Integer::intValue).sum() < tasks
                        ? " (submitting stopped at its time limit of " + SUBMIT_LIMIT.toSeconds() + " s)" : "",
                refused, finals.get(), all.size(), byStatus, missing.size(),
                seconds, (submitted - started) / 1e9, accepted.size() / seconds, rerun, lost, lostBy, stale, VICTIM, kills);

        assertThat(finals.get()).as("final outcomes (accepted %d)", accepted.size()).isEqualTo(accepted.size());
        assertThat(missing).as("accepted tasks that are not listed").isEmpty();
        assertThat(violations).as("tasks without exactly one success").isEmpty();
        assertThat(listed.size() - accepted.size()).as("tasks listed but never accepted").isBetween(0, unanswered);
    }

    /** How an attempt was found lost, from its error: the lease ran out, or the agent came back without it. */
    private static String lossCause(String error) {
        if (error.contains("no heartbeat")) {
            return "lease expired";
        }
        return error.contains("after reconnect") ? "agent reconnected without it" : "other: " + error;
    }

    private static Duration remaining(long deadlineNanos) {
        return Duration.ofNanos(Math.max(1_000_000, deadlineNanos - System.nanoTime()));
    }

    private static long finalCount(CrashPlatform crash, String token) {
        long total = 0;
        for (String status : CrashPlatform.FINAL) {
            total += crash.count(token, status);
        }
        return total;
    }
}
