package dev.taskmesh.bench.common;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Child processes started by a harness, each with its output in a log file. A JVM shutdown hook stops whatever is
 * still running, so that an interrupted benchmark leaves nothing behind.
 */
public final class Children {

    private static final List<Process> RUNNING = new ArrayList<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(Children::stopAll, "children-stopper"));
    }

    /** Starts {@code command} with extra environment variables, output appended to {@code log}. */
    public static Process start(List<String> command, Map<String, String> environment, Path log, Path directory) {
        try {
            Files.createDirectories(log.getParent());
            Files.createDirectories(directory);
            var builder = new ProcessBuilder(command)
                    .directory(directory.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.PIPE);
            builder.environment().putAll(environment);
            Process process = builder.start();
            synchronized (RUNNING) {
                RUNNING.add(process);
            }
            return process;
        } catch (IOException e) {
            throw new IllegalStateException("Cannot start " + command.getFirst() + ": " + e.getMessage(), e);
        }
    }

    /** SIGTERM to the process and its descendants; SIGKILL to what still runs after {@code grace}. */
    public static void stop(Process process, Duration grace) {
        List<ProcessHandle> descendants = process.descendants().toList();
        process.destroy();
        descendants.forEach(ProcessHandle::destroy);
        try {
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        descendants.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        synchronized (RUNNING) {
            RUNNING.remove(process);
        }
    }

    public static void stopAll() {
        List<Process> all;
        synchronized (RUNNING) {
            all = new ArrayList<>(RUNNING).reversed();
        }
        for (Process process : all) {
            stop(process, Duration.ofSeconds(10));
        }
    }

    /** The java binary of the JVM running this harness, for child JVMs. */
    public static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private Children() {
    }
}
