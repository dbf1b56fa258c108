package dev.taskmesh.local;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A second worker agent, started from {@code worker-agent-exec.jar} like on another node, that reports a GPU: its
 * PATH starts with a folder holding a fake {@code nvidia-smi} (a bash script printing one GPU the way the real one
 * answers the agent's query). Everything else about it is real: the worker's token, the STOMP connection, the
 * heartbeats with its capabilities.
 */
final class FakeGpuAgent implements AutoCloseable {

    /** What the fake {@code nvidia-smi} prints: index, model, memory in MiB, driver version. */
    static final String GPU_LINE = "0, NVIDIA H100 80GB HBM3, 81559, 550.54.15";
    static final String GPU_MODEL = "NVIDIA H100 80GB HBM3";

    private final Process process;
    private final Path logFile;

    private FakeGpuAgent(Process process, Path logFile) {
        this.process = process;
        this.logFile = logFile;
    }

    /**
     * Starts the agent for an existing worker; its files (the fake {@code nvidia-smi}, the work folder, the log
     * {@code gpu-agent.log}) go into {@code directory}.
     */
    static FakeGpuAgent start(Path repository, String gatewayUrl, String workerId, String workerToken,
                              List<String> labels, Path directory) {
        try {
            Path bin = Files.createDirectories(directory.resolve("fake-bin"));
            Path nvidiaSmi = bin.resolve("nvidia-smi");
            Files.writeString(nvidiaSmi, "#!/usr/bin/env bash\n# answers the agent's --query-gpu like one H100\n"
                    + "echo '" + GPU_LINE + "'\n", StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(nvidiaSmi, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path work = Files.createDirectories(directory.resolve("gpu-agent-work"));
            Path log = directory.resolve("gpu-agent.log");

            List<String> command = new ArrayList<>();
            command.add(ProcessHandle.current().info().command()
                    .orElseGet(() -> Path.of(System.getProperty("java.home"), "bin", "java").toString()));
            command.addAll(LocalPlatformConfig.defaultJvmOptions(Component.WORKER_AGENT));
            command.add("-jar");
            command.add(Component.WORKER_AGENT.jar(repository).toString());
            command.add("agent");
            var builder = new ProcessBuilder(command)
                    .directory(work.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            var env = builder.environment();
            env.keySet().removeIf(ServiceEnvironment::isWithheld);
            env.put("PATH", bin + File.pathSeparator + env.getOrDefault("PATH", "/usr/bin:/bin"));
            env.put("TASKMESH_SERVER", gatewayUrl);
            env.put("TASKMESH_WORKER_ID", workerId);
            env.put("TASKMESH_WORKER_TOKEN", workerToken);
            env.put("TASKMESH_LABELS", String.join(",", labels));
            env.put("TASKMESH_WORK_DIR", work.toString());
            env.put("TASKMESH_SLOTS", "1");
            return new FakeGpuAgent(builder.start(), log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** The last lines of its log, for failure messages. */
    String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(logFile, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(cannot read " + logFile + ": " + e.getMessage() + ")";
        }
    }

    /** SIGTERM (the agent closes its connection), then a kill when it takes longer than 20 s. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(Duration.ofSeconds(20).toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
