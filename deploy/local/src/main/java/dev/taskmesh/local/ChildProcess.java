package dev.taskmesh.local;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/** One child JVM: started from an executable jar, its output in a log file, watched until it is stopped. */
final class ChildProcess {

    private static final Pattern STATUS_UP = Pattern.compile("\"status\"\\s*:\\s*\"UP\"");
    /**
     * setsid keeps a terminal's Ctrl-C from reaching the children, so the launcher stops them in order; and each child
     * leads its own process group, which {@link #kill()} can signal as a whole.
     */
    private static final Path SETSID = Path.of("/usr/bin/setsid");
    private static final Duration KILL_TIMEOUT = Duration.ofSeconds(10);

    private final Component component;
    private final String name;
    private final Process process;
    private final Path logFile;
    private volatile boolean stopping;

    private ChildProcess(Component component, String name, Process process, Path logFile) {
        this.component = component;
        this.name = name;
        this.process = process;
        this.logFile = logFile;
    }

    /**
     * Starts {@code java <jvmOptions> -jar <jar> <arguments>} with the launcher's own java binary. Output goes to
     * {@code <logs>/<name>.log}; the previous run's log is kept as {@code <name>.log.1}.
     *
     * @param name the module, or e.g. {@code worker-agent-b} for one of several agents: names the log and messages
     */
    static ChildProcess start(Component component, String name, Path jar, List<String> jvmOptions,
                              List<String> arguments, Map<String, String> environment, Path logDirectory,
                              Path workingDirectory) {
        Path logFile = logDirectory.resolve(name + ".log");
        List<String> command = new ArrayList<>();
        if (Files.isExecutable(SETSID)) {
            command.add(SETSID.toString());
        }
        command.add(javaBinary());
        command.addAll(jvmOptions);
        command.add("-jar");
        command.add(jar.toString());
        command.addAll(arguments);
        try {
            Files.createDirectories(logDirectory);
            if (Files.exists(logFile)) {
                Files.move(logFile, logDirectory.resolve(name + ".log.1"),
                        StandardCopyOption.REPLACE_EXISTING);
            }
            var builder = new ProcessBuilder(command)
                    .directory(workingDirectory.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.to(logFile.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(nullDevice()));
            builder.environment().keySet().removeIf(ServiceEnvironment::isWithheld);
            builder.environment().putAll(environment);
            return new ChildProcess(component, name, builder.start(), logFile);
        } catch (IOException e) {
            throw new PlatformException("Cannot start " + name + ": " + e.getMessage(), e);
        }
    }

    Component component() {
        return component;
    }

    String name() {
        return name;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    Path logFile() {
        return logFile;
    }

    /** Calls {@code report} with a message when the child ends without having been asked to stop. */
    void onUnexpectedExit(Consumer<String> report) {
        process.onExit().thenAccept(p -> {
            if (!stopping) {
                report.accept(name + " exited unexpectedly with code " + p.exitValue() + "; its log is "
                        + logFile + ". Last lines:\n" + tail(40));
            }
        });
    }

    /**
     * Waits until {@code GET <baseUrl>/actuator/health} answers {@code "status":"UP"}; fails at once when the
     * child exits, and after {@code timeout} otherwise.
     */
    void awaitHealthy(HttpClient http, String baseUrl, Duration timeout) {
        var request = HttpRequest.newBuilder(URI.create(baseUrl + "/actuator/health"))
                .timeout(Duration.ofSeconds(5))
                .GET()
                .build();
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer yet";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new PlatformException(name + " exited with code " + process.exitValue()
                        + " while starting; its log is " + logFile + ". Last lines:\n" + tail(60));
            }
            try {
                HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200 && STATUS_UP.matcher(response.body()).find()) {
                    return;
                }
                last = "HTTP " + response.statusCode() + " " + response.body();
            } catch (IOException e) {
                last = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new PlatformException("Interrupted while waiting for " + name, e);
            }
            waitForExit(Duration.ofMillis(250));
        }
        throw new PlatformException(name + " was not healthy after " + timeout.toSeconds() + " s (last: "
                + last + "); its log is " + logFile + ". Last lines:\n" + tail(60));
    }

    /** SIGTERM (a graceful shutdown for the services), then a kill when it takes longer than {@code grace}. */
    void stop(Duration grace) {
        stopping = true;
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        if (!waitForExit(grace)) {
            process.destroyForcibly();
            waitForExit(Duration.ofSeconds(5));
        }
    }

    /**
     * SIGKILL to the child and every process under it (see {@link ProcessTrees}): a crash, not a stop. Returns when
     * none of them runs any more.
     *
     * @return the process ids killed, the child's first
     */
    List<Long> kill() {
        stopping = true;
        List<Long> killed = ProcessTrees.kill(process.toHandle(), KILL_TIMEOUT);
        // reaps the child, so that it leaves no zombie behind
        waitForExit(KILL_TIMEOUT);
        return killed;
    }

    /** The last {@code lines} lines of the log, for messages. */
    String tail(int lines) {
        try {
            List<String> all = Files.readAllLines(logFile, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(cannot read " + logFile + ": " + e.getMessage() + ")";
        }
    }

    private boolean waitForExit(Duration timeout) {
        try {
            process.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return !process.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !process.isAlive();
        }
    }

    private static String javaBinary() {
        return ProcessHandle.current().info().command()
                .orElseGet(() -> Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    private static File nullDevice() {
        return new File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
    }
}
