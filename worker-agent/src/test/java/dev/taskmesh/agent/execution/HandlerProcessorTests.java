package dev.taskmesh.agent.execution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.taskmesh.agent.handler.NoopHandler;
import dev.taskmesh.agent.handler.TaskContext;
import dev.taskmesh.agent.handler.TaskHandler;
import dev.taskmesh.agent.handler.TaskOutcome;
import dev.taskmesh.agent.execution.RecordingListener.Progress;
import dev.taskmesh.contract.WireJson;
import dev.taskmesh.contract.agent.LogStream;
import dev.taskmesh.contract.agent.Outcome;
import dev.taskmesh.contract.agent.TaskAssignment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

class HandlerProcessorTests {

    @TempDir
    Path root;

    private final RecordingListener listener = new RecordingListener();

    @Test
    void discoversTheBuiltInNoopHandlerWhichEchoesItsInput() throws Exception {
        TaskExecutor executor = TaskExecutor.withDiscoveredHandlers(Duration.ofSeconds(1));
        JsonNode input = WireJson.mapper().readTree("{\"n\":[1,2],\"s\":\"x\"}");
        AttemptRun run = attempt(NoopHandler.TYPE, input, null);

        AttemptResult result = execute(executor, run);

        assertThat(executor.taskTypes()).containsExactly("command", "noop");
        assertThat(result).isEqualTo(new AttemptResult(Outcome.SUCCEEDED, null, null, false, input));
        // a handler that touches neither its output folder nor its log leaves nothing on disk
        assertThat(run.layout().workDir()).doesNotExist();
        assertThat(run.usedDisk()).isFalse();
    }

    @Test
    void theFirstWriteClearsWhatAnEarlierAgentProcessLeftInTheAttemptsFolder() throws Exception {
        TaskHandler handler = handler("writes", task -> {
            Files.writeString(task.outputDir().resolve("out.txt"), "new");
            return TaskOutcome.succeeded(null);
        });
        AttemptRun run = attempt("writes", WireJson.mapper().createObjectNode(), null);
        Files.createDirectories(run.layout().outputDir());
        Files.writeString(run.layout().outputDir().resolve("stale.txt"), "from a process that died");
        Files.writeString(run.layout().logFile(), "old log");

        AttemptResult result = execute(new TaskExecutor(List.of(handler), Duration.ofSeconds(1)), run);

        assertThat(result.outcome()).isEqualTo(Outcome.SUCCEEDED);
        assertThat(run.usedDisk()).isTrue();
        assertThat(OutputFiles.list(run.layout().outputDir())).extracting(OutputFiles.LocalFile::name)
                .containsExactly("out.txt");
        assertThat(run.layout().logFile()).doesNotExist();
    }

    @Test
    void aFolderTheAttemptDoesNotOwnKeepsItsContent() throws Exception {
        TaskHandler handler = handler("writes", task -> {
            Files.writeString(task.outputDir().resolve("out.txt"), "new");
            task.log("a line");
            return TaskOutcome.succeeded(null);
        });
        // as run-local lays it out: the process runs in the user's folder
        Files.writeString(root.resolve("users-file.txt"), "keep");
        AttemptRun run = new AttemptRun(new TaskAssignment(UUID.randomUUID(), 1, "writes",
                WireJson.mapper().createObjectNode(), null, "test", Instant.now(), Map.of()),
                new AttemptLayout(root, root.resolve("out"), root.resolve("scratch/input.json"),
                        root.resolve("scratch/log.txt"), false), listener);

        AttemptResult result = execute(new TaskExecutor(List.of(handler), Duration.ofSeconds(1)), run);

        assertThat(result.outcome()).isEqualTo(Outcome.SUCCEEDED);
        assertThat(root.resolve("users-file.txt")).hasContent("keep");
        assertThat(root.resolve("out/out.txt")).hasContent("new");
    }

    @Test
    void passesProgressAndLogToTheListener() {
        TaskHandler handler = handler("steps", task -> {
            task.progress(50, "Half");
            task.log("working on " + task.taskId());
            Files.writeString(task.outputDir().resolve("out.txt"), "x");
            return TaskOutcome.succeeded(null);
        });
        AttemptRun run = attempt("steps", WireJson.mapper().createObjectNode(), null);

        AttemptResult result = execute(new TaskExecutor(List.of(handler), Duration.ofSeconds(1)), run);

        assertThat(result.outcome()).isEqualTo(Outcome.SUCCEEDED);
        assertThat(listener.progress).containsExactly(new Progress(50, "Half"));
        assertThat(listener.texts(LogStream.STDOUT)).containsExactly("working on " + run.assignment().taskId());
        assertThat(run.layout().outputDir().resolve("out.txt")).exists();
        assertThat(run.layout().outputDir().resolve("result.json")).doesNotExist();
    }

    @Test
    void anExceptionFailsTheAttemptWithItsMessage() {
        TaskHandler handler = handler("boom", task -> {
            throw new IllegalStateException("disk on fire");
        });

        AttemptResult result = execute(new TaskExecutor(List.of(handler), Duration.ofSeconds(1)),
                attempt("boom", WireJson.mapper().createObjectNode(), null));

        assertThat(result).isEqualTo(new AttemptResult(Outcome.FAILED, null, "disk on fire", true, null));
    }

    @Test
    void aFailedOutcomeKeepsItsRetryability() {
        TaskHandler handler = handler("picky", task -> TaskOutcome.failed("bad input", false));

        AttemptResult result = execute(new TaskExecutor(List.of(handler), Duration.ofSeconds(1)),
                attempt("picky", WireJson.mapper().createObjectNode(), null));

        assertThat(result).isEqualTo(new AttemptResult(Outcome.FAILED, null, "bad input", false, null));
    }

    @Test
    void aTimeoutInterruptsTheHandler() {
        AtomicBoolean sawCancel = new AtomicBoolean();
        TaskHandler handler = handler("slow", task -> {
            try {
                Thread.sleep(Duration.ofMinutes(10));
            } catch (InterruptedException e) {
                sawCancel.set(task.isCancelled());
            }
            return TaskOutcome.succeeded(null);
        });

        AttemptResult result = execute(new TaskExecutor(List.of(handler), Duration.ofSeconds(5)),
                attempt("slow", WireJson.mapper().createObjectNode(), 1));

        assertThat(result).isEqualTo(new AttemptResult(Outcome.FAILED, null, "timed out after 1 s", true, null));
        assertThat(sawCancel).isTrue();
    }

    @Test
    void aCancelEndsTheAttemptAsCancelled() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        TaskHandler handler = handler("waits", task -> {
            running.countDown();
            new CountDownLatch(1).await();
            return TaskOutcome.succeeded(null);
        });
        AttemptRun run = attempt("waits", WireJson.mapper().createObjectNode(), null);
        TaskExecutor executor = new TaskExecutor(List.of(handler), Duration.ofSeconds(5));

        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            CompletableFuture<AttemptResult> result = CompletableFuture.supplyAsync(() -> execute(executor, run), threads);
            await().atMost(Duration.ofSeconds(10)).until(() -> running.getCount() == 0);

            run.cancel("no longer needed");

            assertThat(result.get()).isEqualTo(
                    new AttemptResult(Outcome.CANCELLED, null, "cancelled: no longer needed", false, null));
        }
    }

    @Test
    void anUnknownTypeFails() {
        AttemptResult result = execute(new TaskExecutor(List.of(), Duration.ofSeconds(1)),
                attempt("unknown", WireJson.mapper().createObjectNode(), null));

        assertThat(result.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(result.error()).isEqualTo("this agent has no handler for task type 'unknown'");
    }

    private interface Body {
        TaskOutcome run(TaskContext task) throws Exception;
    }

    private static TaskHandler handler(String type, Body body) {
        return new TaskHandler() {
            @Override
            public String type() {
                return type;
            }

            @Override
            public TaskOutcome handle(TaskContext task) throws Exception {
                return body.run(task);
            }
        };
    }

    private static AttemptResult execute(TaskExecutor executor, AttemptRun run) {
        try {
            return executor.execute(run);
        } finally {
            run.close();
        }
    }

    private AttemptRun attempt(String type, JsonNode input, @Nullable Integer timeoutSeconds) {
        UUID taskId = UUID.randomUUID();
        return new AttemptRun(new TaskAssignment(taskId, 1, type, input, timeoutSeconds, "test", Instant.now(), Map.of()),
                AttemptLayout.under(root, taskId, 1), listener);
    }
}
