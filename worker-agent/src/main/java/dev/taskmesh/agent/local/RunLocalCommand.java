package dev.taskmesh.agent.local;

import dev.taskmesh.agent.DurationConverter;
import dev.taskmesh.agent.execution.AttemptLayout;
import dev.taskmesh.agent.execution.AttemptResult;
import dev.taskmesh.agent.execution.AttemptRun;
import dev.taskmesh.agent.execution.FolderTree;
import dev.taskmesh.agent.execution.OutputFiles;
import dev.taskmesh.agent.execution.OutputFiles.LocalFile;
import dev.taskmesh.agent.execution.TaskExecutor;
import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.contract.WireJson;
import dev.taskmesh.contract.agent.Outcome;
import dev.taskmesh.contract.agent.TaskAssignment;
import java.io.Console;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** {@code run-local}: runs one task here, as an agent would, and shows its log, progress, outcome and outputs. */
@Command(name = "run-local", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Runs one task on this machine with the agent's own processors; no platform is involved.",
                "A command runs in the current directory (on an agent it runs in its attempt folder) with "
                        + "TASKMESH_OUTPUT_DIR, TASKMESH_TASK_ID, TASKMESH_ATTEMPT and TASKMESH_INPUT set.",
                "Example: run-local -- bash -c 'echo ::progress 50 Halfway; echo hi > $TASKMESH_OUTPUT_DIR/out.txt'"},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the task succeeded", "1:the task failed", "2:invalid options", "130:interrupted (Ctrl-C)"})
public final class RunLocalCommand implements Callable<Integer> {

    private static final DateTimeFormatter FOLDER_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

    @Spec
    private CommandSpec spec;

    @Option(names = "--type", paramLabel = "TYPE", defaultValue = "command",
            description = "Task type: command (default) or the type of a handler on the class path, e.g. noop.")
    private String type = "command";

    @Option(names = "--input", paramLabel = "JSON",
            description = "The task's input JSON, or @FILE to read it from a file. For a command, ARGV replaces "
                    + "its \"argv\" and \"env\" adds environment variables.")
    private @Nullable String input;

    @Option(names = "--output", paramLabel = "DIR",
            description = "Output folder, empty or new (default ./taskmesh-output/<timestamp>/).")
    private @Nullable Path output;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Run-time limit, e.g. 30s or 5m (whole seconds); the process tree is killed after it.")
    private @Nullable Duration timeout;

    @Parameters(paramLabel = "ARGV", arity = "0..*",
            description = "For --type command: the program and its arguments, after --.")
    private List<String> argv = new ArrayList<>();

    @Override
    public Integer call() throws IOException {
        JsonNode taskInput = taskInput();
        TaskExecutor executor = TaskExecutor.withDiscoveredHandlers(TaskExecutor.DEFAULT_KILL_GRACE);
        if (!executor.taskTypes().contains(type)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "Unknown task type '" + type + "'; known here: " + String.join(", ", executor.taskTypes()));
        }
        Path outputDir = (output != null ? output
                : Path.of("taskmesh-output", LocalDateTime.now().format(FOLDER_TIME))).toAbsolutePath().normalize();
        if (Files.isDirectory(outputDir)) {
            try (Stream<Path> entries = Files.list(outputDir)) {
                if (entries.findAny().isPresent()) {
                    throw new CommandLine.ParameterException(spec.commandLine(),
                            "The output folder " + outputDir + " is not empty");
                }
            }
        }
        Integer timeoutSeconds = timeout == null ? null : (int) Math.max(1, timeout.toSeconds());

        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path scratch = Files.createTempDirectory("taskmesh-run-local-");
        AttemptLayout layout = new AttemptLayout(Path.of("").toAbsolutePath(), outputDir,
                scratch.resolve("input.json"), scratch.resolve("log.txt"), false);
        TaskAssignment assignment = new TaskAssignment(UUID.randomUUID(), 1, type, taskInput, timeoutSeconds,
                System.getProperty("user.name", "local"), Instant.now(), Map.of());
        TerminalProgress display = new TerminalProgress(out, isTerminal());
        AttemptRun run = new AttemptRun(assignment, layout, display);

        // Ctrl-C: kill the process tree before the JVM exits (with 130)
        CountDownLatch finished = new CountDownLatch(1);
        Thread onInterrupt = new Thread(() -> {
            run.cancel("interrupted (Ctrl-C)");
            awaitQuietly(finished, TaskExecutor.DEFAULT_KILL_GRACE.plusSeconds(5));
        }, "run-local-interrupt");
        Runtime.getRuntime().addShutdownHook(onInterrupt);
        long started = System.nanoTime();
        AttemptResult result;
        try {
            result = executor.execute(run);
        } finally {
            run.close();
            finished.countDown();
            removeQuietly(onInterrupt);
        }
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        display.finish();
        deleteQuietly(scratch);
        if (result.output() != null) {
            // a handler's output JSON stays in memory on an agent; here it is the output folder's result.json
            Files.createDirectories(outputDir);
            Files.writeString(outputDir.resolve(ApiPaths.RESULT_JSON), WireJson.mapper().writeValueAsString(result.output()));
        }

        report(out, err, result, took, outputDir);
        return switch (result.outcome()) {
            case SUCCEEDED -> 0;
            case FAILED -> 1;
            case CANCELLED -> 130;
        };
    }

    private JsonNode taskInput() throws IOException {
        JsonNode parsed;
        if (input == null) {
            parsed = WireJson.mapper().createObjectNode();
        } else {
            String text = input.startsWith("@") ? Files.readString(Path.of(input.substring(1))) : input;
            try {
                parsed = WireJson.mapper().readTree(text);
            } catch (JacksonException e) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--input is not valid JSON: " + e.getOriginalMessage());
            }
        }
        if (!TaskExecutor.COMMAND.equals(type)) {
            if (!argv.isEmpty()) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "ARGV is only for --type command; give a handler its input with --input");
            }
            return parsed;
        }
        if (!parsed.isObject()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--input of a command must be a JSON object");
        }
        ObjectNode object = (ObjectNode) parsed;
        if (!argv.isEmpty()) {
            ArrayNode array = object.putArray("argv");
            argv.forEach(array::add);
        } else if (!object.has("argv")) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "Missing the command: run-local [options] -- PROGRAM [ARGS...]");
        }
        return object;
    }

    private static void report(PrintWriter out, PrintWriter err, AttemptResult result, Duration took, Path outputDir)
            throws IOException {
        out.printf("%s in %.1f s%s%n", result.outcome(), took.toMillis() / 1000.0,
                result.exitCode() == null ? "" : " (exit code " + result.exitCode() + ")");
        if (result.outcome() != Outcome.SUCCEEDED && result.error() != null) {
            err.println("error: " + result.error());
            err.flush();
        }
        Path resultJson = outputDir.resolve(ApiPaths.RESULT_JSON);
        if (Files.isRegularFile(resultJson)) {
            String text = Files.readString(resultJson);
            try {
                out.println("output: " + WireJson.mapper().writerWithDefaultPrettyPrinter()
                        .writeValueAsString(WireJson.mapper().readTree(text)));
            } catch (JacksonException e) {
                out.println("output: " + ApiPaths.RESULT_JSON + " is not valid JSON: " + e.getOriginalMessage());
            }
        } else {
            out.println("output: none (no " + ApiPaths.RESULT_JSON + ")");
        }
        List<LocalFile> files = OutputFiles.list(outputDir);
        out.println("files in " + outputDir + ":" + (files.isEmpty() ? " none" : ""));
        int width = files.stream().mapToInt(file -> file.name().length()).max().orElse(0);
        for (LocalFile file : files) {
            out.printf("  %-" + width + "s  %10d B  sha256 %s%n", file.name(), file.size(), file.sha256());
        }
        out.flush();
    }

    /** Whether stdout is a terminal, where the progress bar can be redrawn in place. */
    private static boolean isTerminal() {
        Console console = System.console();
        if (console == null || "dumb".equals(System.getenv("TERM"))) {
            return false;
        }
        try {
            // Java 22+ returns a console even when redirected; isTerminal() tells the difference
            Method isTerminal = Console.class.getMethod("isTerminal");
            return (Boolean) isTerminal.invoke(console);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }

    private static void awaitQuietly(CountDownLatch latch, Duration limit) {
        try {
            latch.await(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void removeQuietly(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down (Ctrl-C): the hook is running and waits for us
        }
    }

    private static void deleteQuietly(Path dir) {
        try {
            FolderTree.delete(dir);
        } catch (IOException | UncheckedIOException e) {
            // a temporary folder: the OS cleans it up eventually
        }
    }
}
