package dev.taskmesh.agent.execution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.taskmesh.agent.execution.OutputFiles.LocalFile;
import dev.taskmesh.agent.execution.RecordingListener.Progress;
import dev.taskmesh.contract.WireJson;
import dev.taskmesh.contract.agent.LogLine;
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
import java.util.concurrent.Executors;
import java.util.stream.LongStream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** Runs real processes through bash. */
class CommandProcessorIT {

    private static final Duration GRACE = Duration.ofSeconds(2);

    @TempDir
    Path root;

    private final TaskExecutor executor = new TaskExecutor(List.of(), GRACE);
    private final RecordingListener listener = new RecordingListener();

    @Test
    void succeedsWithResultJsonNestedOutputsAndProgress() throws Exception {
        AttemptRun run = attempt(input(Map.of("GREETING", "hello"), """
                echo '::progress 10 Preparing'
                echo "$GREETING from $(pwd)"
                mkdir -p "$TASKMESH_OUTPUT_DIR/sub/dir"
                printf data > "$TASKMESH_OUTPUT_DIR/sub/dir/a b.txt"
                echo "::progress 60"
                printf '{"answer":42}' > "$TASKMESH_OUTPUT_DIR/result.json"
                cp "$TASKMESH_INPUT" "$TASKMESH_OUTPUT_DIR/input-copy.json"
                echo "$TASKMESH_TASK_ID/$TASKMESH_ATTEMPT"
                echo warning >&2
                echo '::progress 100 Done'
                """), null);

        AttemptResult result = execute(run);

        assertThat(result).isEqualTo(new AttemptResult(Outcome.SUCCEEDED, 0, null, false, null));
        assertThat(listener.progress).containsExactly(new Progress(10, "Preparing"), new Progress(60, null),
                new Progress(100, "Done"));
        assertThat(listener.texts(LogStream.STDOUT)).contains("::progress 10 Preparing",
                "hello from " + run.layout().workDir(),
                run.assignment().taskId() + "/1");
        assertThat(listener.texts(LogStream.STDERR)).containsExactly("warning");
        assertThat(listener.lines).extracting(LogLine::seq)
                .containsExactlyElementsOf(LongStream.rangeClosed(1, listener.lines.size()).boxed().toList());

        List<LocalFile> files = OutputFiles.list(run.layout().outputDir());
        assertThat(files).extracting(LocalFile::name).containsExactly("input-copy.json", "result.json", "sub/dir/a b.txt");
        assertThat(files.get(2).size()).isEqualTo(4);
        assertThat(files.get(2).sha256()).isEqualTo("3a6eb0790f39ac87c94f3856b2dd2c5d110e6811602261a9a923d3bb23adc8b7");
        assertThat(WireJson.mapper().readTree(run.layout().outputDir().resolve("result.json").toFile()).get("answer")
                .asInt()).isEqualTo(42);
        assertThat(WireJson.mapper().readTree(files.getFirst().path().toFile()))
                .isEqualTo(run.assignment().input());
        assertThat(Files.readAllLines(run.layout().logFile())).contains("hello from " + run.layout().workDir(),
                "warning", "::progress 100 Done").anyMatch(line -> line.startsWith(AttemptRun.AGENT_PREFIX + "started"));
    }

    @Test
    void failsWithTheExitCodeAndTheLastTwentyLinesOfStderr() {
        AttemptRun run = attempt(input(Map.of(), """
                echo some output
                for i in $(seq 1 25); do echo "err $i" >&2; done
                exit 3
                """), null);

        AttemptResult result = execute(run);

        assertThat(result.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(result.exitCode()).isEqualTo(3);
        assertThat(result.retryable()).isTrue();
        String expectedTail = String.join("\n", LongStream.rangeClosed(6, 25).mapToObj(i -> "err " + i).toList());
        assertThat(result.error()).isEqualTo("exit code 3; last lines of stderr: " + expectedTail);
    }

    @Test
    void failsWithoutRetryWhenTheProgramDoesNotExist() {
        ObjectNode input = WireJson.mapper().createObjectNode();
        input.putArray("argv").add("no-such-program-taskmesh").add("x");
        AttemptRun run = attempt(input, null);

        AttemptResult result = execute(run);

        assertThat(result.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(result.retryable()).isFalse();
        assertThat(result.error()).startsWith("cannot start no-such-program-taskmesh: ");
    }

    @Test
    void failsWithoutRetryOnInputWithoutArgv() {
        AttemptRun run = attempt(WireJson.mapper().createObjectNode().put("argv", "echo hi"), null);

        AttemptResult result = execute(run);

        assertThat(result.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(result.retryable()).isFalse();
        assertThat(result.error()).startsWith("invalid input: ");
    }

    @Test
    void timeoutKillsTheWholeProcessTree() throws Exception {
        AttemptRun run = attempt(input(Map.of(), """
                echo $$ >> "$TASKMESH_OUTPUT_DIR/pids"
                sleep 1000 & echo $! >> "$TASKMESH_OUTPUT_DIR/pids"
                ( sleep 1000 & echo $! >> "$TASKMESH_OUTPUT_DIR/pids"; wait ) &
                echo $! >> "$TASKMESH_OUTPUT_DIR/pids"
                echo started
                wait
                """), 1);

        AttemptResult result = execute(run);

        assertThat(result).isEqualTo(new AttemptResult(Outcome.FAILED, null, "timed out after 1 s", true, null));
        List<Long> pids = pids(run);
        assertThat(pids).hasSize(4);
        assertThat(pids).noneMatch(CommandProcessorIT::running);
        assertThat(listener.texts(LogStream.STDOUT)).contains("started");
    }

    @Test
    void cancelKillsTheTreeAndKeepsThePartialLog() throws Exception {
        AttemptRun run = attempt(input(Map.of(), """
                sleep 1000 & echo $! >> "$TASKMESH_OUTPUT_DIR/pids"
                echo "::progress 30 Working"
                echo before cancel
                wait
                echo never printed
                """), null);
        CompletableFuture<AttemptResult> result;
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            result = CompletableFuture.supplyAsync(() -> execute(run), threads);
            await().atMost(Duration.ofSeconds(20)).until(() -> listener.texts(LogStream.STDOUT).contains("before cancel")
                    && Files.exists(run.layout().outputDir().resolve("pids")));

            run.cancel("user asked");

            assertThat(result.get()).isEqualTo(new AttemptResult(Outcome.CANCELLED, null, "cancelled: user asked", false, null));
        }
        assertThat(pids(run)).hasSize(1).noneMatch(CommandProcessorIT::running);
        assertThat(listener.progress).containsExactly(new Progress(30, "Working"));
        assertThat(Files.readAllLines(run.layout().logFile())).contains("before cancel").doesNotContain("never printed");
    }

    @Test
    void killsBackgroundProcessesLeftBehindByACommandThatExited() throws Exception {
        AttemptRun run = attempt(input(Map.of(), """
                sleep 1000 & echo $! >> "$TASKMESH_OUTPUT_DIR/pids"
                sleep 1
                echo done
                """), null);

        AttemptResult result = execute(run);

        assertThat(result.outcome()).isEqualTo(Outcome.SUCCEEDED);
        assertThat(pids(run)).hasSize(1).noneMatch(CommandProcessorIT::running);
        assertThat(listener.texts(LogStream.STDOUT)).contains("done");
    }

    private AttemptResult execute(AttemptRun run) {
        try {
            return executor.execute(run);
        } finally {
            run.close();
        }
    }

    private AttemptRun attempt(tools.jackson.databind.JsonNode input, @Nullable Integer timeoutSeconds) {
        UUID taskId = UUID.randomUUID();
        TaskAssignment assignment = new TaskAssignment(taskId, 1, TaskExecutor.COMMAND, input, timeoutSeconds, "test",
                Instant.now(), Map.of());
        return new AttemptRun(assignment, AttemptLayout.under(root, taskId, 1), listener);
    }

    private static ObjectNode input(Map<String, String> env, String script) {
        ObjectNode input = WireJson.mapper().createObjectNode();
        ArrayNode argv = input.putArray("argv");
        argv.add("bash").add("-c").add(script);
        ObjectNode envNode = input.putObject("env");
        env.forEach(envNode::put);
        return input;
    }

    private static List<Long> pids(AttemptRun run) throws Exception {
        return Files.readAllLines(run.layout().outputDir().resolve("pids")).stream().map(String::strip)
                .filter(line -> !line.isEmpty()).map(Long::parseLong).toList();
    }

    private static boolean running(long pid) {
        return ProcessHandle.of(pid).map(ProcessTree::isRunning).orElse(false);
    }
}
