package dev.taskmesh.agent.execution;

import dev.taskmesh.contract.agent.LogStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Runs a {@code command} task: starts {@code argv} (no shell) in the attempt's work folder, turns stdout and stderr
 * into log lines, {@code ::progress} lines into progress and {@code ::submit} lines into child tasks, and kills the
 * whole process tree on timeout or cancel.
 */
final class CommandProcessor implements TaskProcessor {

    static final String TYPE = "command";
    static final String ENV_OUTPUT_DIR = "TASKMESH_OUTPUT_DIR";
    static final String ENV_TASK_ID = "TASKMESH_TASK_ID";
    static final String ENV_ATTEMPT = "TASKMESH_ATTEMPT";
    static final String ENV_INPUT = "TASKMESH_INPUT";
    /** The agent's own credential: never handed to the tasks it runs. */
    static final String ENV_WORKER_TOKEN = "TASKMESH_WORKER_TOKEN";

    private static final int STDERR_TAIL_LINES = 20;
    /** How often the process tree is looked at, so that children left behind by an exiting parent are known. */
    private static final Duration WATCH_INTERVAL = Duration.ofMillis(250);
    /** How long an ended attempt waits for the answers to its {@code ::submit} lines. */
    private static final Duration SUBMIT_ANSWER_LIMIT = Duration.ofSeconds(30);
    /** How long the readers may take to drain the pipes after the process ended. */
    private static final Duration DRAIN_LIMIT = Duration.ofSeconds(5);

    private enum Ending { EXITED, TIMED_OUT, CANCELLED }

    private final Duration killGrace;

    CommandProcessor(Duration killGrace) {
        this.killGrace = killGrace;
    }

    @Override
    public AttemptResult run(AttemptRun run) {
        try {
            run.prepare();
        } catch (IOException | RuntimeException e) {
            return AttemptResult.failed("cannot prepare the work folder " + run.layout().workDir() + ": " + e, true, null);
        }
        CommandInput input;
        try {
            input = CommandInput.from(run.assignment().input());
        } catch (IllegalArgumentException e) {
            run.note("invalid input: " + e.getMessage());
            return AttemptResult.failed("invalid input: " + e.getMessage(), false, null);
        }
        String program = input.argv().getFirst();
        Process process;
        try {
            process = processBuilder(run, input).start();
        } catch (IOException | RuntimeException e) {
            String error = "cannot start " + program + ": " + e.getMessage();
            run.note(error);
            return AttemptResult.failed(error, false, null);
        }
        run.note("started " + program + " (pid " + process.pid() + ")");
        // nothing is ever written to the task's stdin: it reads end-of-file at once instead of waiting forever
        closeQuietly(process);

        Deque<String> stderrTail = new ArrayDeque<>();
        List<CompletableFuture<?>> submissions = new CopyOnWriteArrayList<>();
        Thread stdout = pump(process.getInputStream(), "stdout-" + process.pid(), line -> {
            run.log(LogStream.STDOUT, line);
            ProgressLine.parse(line).ifPresent(progress -> run.progress(progress.percent(), progress.stage()));
            submitChild(run, line).ifPresent(submissions::add);
        });
        Thread stderr = pump(process.getErrorStream(), "stderr-" + process.pid(), line -> {
            run.log(LogStream.STDERR, line);
            synchronized (stderrTail) {
                stderrTail.addLast(line);
                if (stderrTail.size() > STDERR_TAIL_LINES) {
                    stderrTail.removeFirst();
                }
            }
        });

        Set<ProcessHandle> seen = ConcurrentHashMap.newKeySet();
        boolean interrupted = false;
        Ending ending;
        try {
            ending = await(process, run, seen);
        } catch (InterruptedException e) {
            interrupted = true;
            run.cancel("interrupted");
            ending = Ending.CANCELLED;
        }
        if (ending == Ending.EXITED) {
            // background children the program left behind must not outlive the attempt
            seen.removeIf(handle -> !ProcessTree.isRunning(handle));
            if (!seen.isEmpty()) {
                run.note("killing " + seen.size() + " process(es) left behind by the command");
                ProcessTree.kill(process.toHandle(), seen, killGrace);
            }
        } else {
            run.note(ending == Ending.TIMED_OUT
                    ? "timed out after " + timeoutSeconds(run) + " s: killing the process tree"
                    : "cancelled (" + run.cancelReason().orElse("") + "): killing the process tree");
            ProcessTree.kill(process.toHandle(), seen, killGrace);
        }
        interrupted |= Thread.interrupted();
        drain(run, stdout, stderr);
        awaitSubmissions(run, submissions);
        if (interrupted) {
            Thread.currentThread().interrupt();
        }

        return switch (ending) {
            case CANCELLED -> AttemptResult.cancelled(run.cancelReason().orElse("cancelled"));
            case TIMED_OUT -> AttemptResult.failed("timed out after " + timeoutSeconds(run) + " s", true, null);
            case EXITED -> exited(process.exitValue(), stderrTail);
        };
    }

    private ProcessBuilder processBuilder(AttemptRun run, CommandInput input) {
        ProcessBuilder builder = new ProcessBuilder(input.argv()).directory(run.layout().workDir().toFile());
        Map<String, String> env = builder.environment();
        env.remove(ENV_WORKER_TOKEN);
        env.putAll(input.env());
        env.put(ENV_OUTPUT_DIR, run.layout().outputDir().toString());
        env.put(ENV_TASK_ID, run.assignment().taskId().toString());
        env.put(ENV_ATTEMPT, Integer.toString(run.assignment().attempt()));
        env.put(ENV_INPUT, run.layout().inputFile().toString());
        return builder;
    }

    /** Waits for the process to exit, the timeout to pass or a cancel, remembering the processes it starts. */
    private static Ending await(Process process, AttemptRun run, Set<ProcessHandle> seen) throws InterruptedException {
        Integer timeout = run.assignment().timeoutSeconds();
        long deadline = System.nanoTime() + (timeout == null ? Long.MAX_VALUE / 2 : TimeUnit.SECONDS.toNanos(timeout));
        CompletableFuture<Object> exitOrCancel = CompletableFuture.anyOf(process.onExit(), run.cancellation());
        while (true) {
            if (run.isCancelled()) {
                return Ending.CANCELLED;
            }
            if (!process.isAlive()) {
                return Ending.EXITED;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return Ending.TIMED_OUT;
            }
            process.descendants().forEach(seen::add);
            try {
                exitOrCancel.get(Math.min(left, WATCH_INTERVAL.toNanos()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException | ExecutionException e) {
                // look again
            }
        }
    }

    private static AttemptResult exited(int exitCode, Deque<String> stderrTail) {
        if (exitCode == 0) {
            return AttemptResult.succeeded(0);
        }
        String error = "exit code " + exitCode;
        synchronized (stderrTail) {
            if (!stderrTail.isEmpty()) {
                error += "; last lines of stderr: " + String.join("\n", stderrTail);
            }
        }
        return AttemptResult.failed(error, true, exitCode);
    }

    private static @Nullable Integer timeoutSeconds(AttemptRun run) {
        return run.assignment().timeoutSeconds();
    }

    private static Thread pump(InputStream stream, String name, Consumer<String> onLine) {
        return Thread.ofVirtual().name(name).start(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    onLine.accept(line);
                }
            } catch (IOException e) {
                // the stream closes when the process is killed; what was read is in the log
            }
        });
    }

    private static void drain(AttemptRun run, Thread stdout, Thread stderr) {
        long deadline = System.nanoTime() + DRAIN_LIMIT.toNanos();
        for (Thread reader : new Thread[] {stdout, stderr}) {
            try {
                long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
                if (!reader.join(Duration.ofMillis(left))) {
                    run.note("output still open after the process ended: a process outside the tree holds it");
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** A {@code ::submit} line submits a child; its id (or why it was refused) is noted in the log. */
    private static Optional<CompletableFuture<?>> submitChild(AttemptRun run, String line) {
        Optional<SubmitLine> submit;
        try {
            submit = SubmitLine.parse(line);
        } catch (IllegalArgumentException e) {
            run.note("ignored a ::submit line: " + e.getMessage());
            return Optional.empty();
        }
        return submit.map(child -> run.children().submit(child.task()).handle((id, error) -> {
            if (error == null) {
                run.note("submitted child task " + id + " (" + child.task().get("type").asString() + ")");
            } else {
                Throwable cause = error instanceof CompletionException && error.getCause() != null
                        ? error.getCause() : error;
                run.note("child task not submitted: " + cause.getMessage());
            }
            return id;
        }));
    }

    /** Child ids belong in the attempt's log: their answers are awaited (bounded) before the attempt ends. */
    private static void awaitSubmissions(AttemptRun run, List<CompletableFuture<?>> submissions) {
        if (submissions.isEmpty()) {
            return;
        }
        try {
            CompletableFuture.allOf(submissions.toArray(CompletableFuture[]::new))
                    .get(SUBMIT_ANSWER_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            run.note("no answer yet to some child submissions after " + SUBMIT_ANSWER_LIMIT.toSeconds()
                    + " s; the children may still be created");
        } catch (ExecutionException e) {
            // each answer is noted by itself
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(Process process) {
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // the process may already be gone
        }
    }
}
