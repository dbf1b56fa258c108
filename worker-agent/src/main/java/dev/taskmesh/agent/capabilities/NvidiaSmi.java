package dev.taskmesh.agent.capabilities;

import dev.taskmesh.contract.agent.Gpu;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Finds NVIDIA GPUs by asking {@code nvidia-smi}, when it is on the PATH. */
final class NvidiaSmi {

    static final List<String> QUERY = List.of("--query-gpu=index,name,memory.total,driver_version",
            "--format=csv,noheader,nounits");

    private static final Logger log = LoggerFactory.getLogger(NvidiaSmi.class);
    private static final Duration LIMIT = Duration.ofSeconds(15);

    private NvidiaSmi() {
    }

    /** The node's GPUs; empty when {@code nvidia-smi} is not on the PATH or fails. */
    static List<Gpu> detect() {
        Optional<Path> program = onPath("nvidia-smi", System.getenv("PATH"));
        if (program.isEmpty()) {
            return List.of();
        }
        List<String> command = new ArrayList<>();
        command.add(program.get().toString());
        command.addAll(QUERY);
        try {
            Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            process.getOutputStream().close();
            // the output is a few lines: read it all, then look at the exit code
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(LIMIT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                log.warn("nvidia-smi did not answer within {}; reporting no GPUs", LIMIT);
                return List.of();
            }
            if (process.exitValue() != 0) {
                log.warn("nvidia-smi exited with {}; reporting no GPUs", process.exitValue());
                return List.of();
            }
            return parse(output);
        } catch (IOException e) {
            log.warn("Could not run nvidia-smi; reporting no GPUs", e);
            return List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }

    /**
     * Parses {@code nvidia-smi --query-gpu=index,name,memory.total,driver_version --format=csv,noheader,nounits}
     * output, e.g. {@code 0, NVIDIA H100 80GB HBM3, 81559, 550.54.15}. Lines it cannot read are skipped.
     */
    static List<Gpu> parse(String output) {
        List<Gpu> gpus = new ArrayList<>();
        for (String line : output.split("\\R")) {
            if (line.isBlank()) {
                continue;
            }
            String[] fields = Arrays.stream(line.split(",")).map(String::strip).toArray(String[]::new);
            if (fields.length < 4) {
                log.warn("Skipping nvidia-smi line '{}': expected 4 fields", line);
                continue;
            }
            try {
                int index = Integer.parseInt(fields[0]);
                // a model name may itself contain commas: it is everything between the first and the last two fields
                String model = String.join(", ", Arrays.asList(fields).subList(1, fields.length - 2));
                long memoryMb = number(fields[fields.length - 2]);
                String driver = fields[fields.length - 1];
                gpus.add(new Gpu(index, model, memoryMb, driver.isEmpty() || driver.startsWith("[") ? null : driver));
            } catch (NumberFormatException e) {
                log.warn("Skipping nvidia-smi line '{}': {}", line, e.getMessage());
            }
        }
        return List.copyOf(gpus);
    }

    /** Memory in MiB; {@code [N/A]} and other non-numbers count as 0. */
    private static long number(String field) {
        try {
            return Math.round(Double.parseDouble(field));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    static Optional<Path> onPath(String program, String path) {
        if (path == null || path.isBlank()) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isBlank()) {
                continue;
            }
            Path candidate = Path.of(dir, program);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }
}
