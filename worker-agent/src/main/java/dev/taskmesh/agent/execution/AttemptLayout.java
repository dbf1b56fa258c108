package dev.taskmesh.agent.execution;

import java.nio.file.Path;
import java.util.UUID;

/**
 * Where an attempt runs and keeps its files.
 *
 * @param workDir   the process's working directory
 * @param outputDir folder whose files are the attempt's outputs ({@code TASKMESH_OUTPUT_DIR})
 * @param inputFile the input JSON ({@code TASKMESH_INPUT})
 * @param logFile   every log line of the attempt, uploaded at the end
 */
public record AttemptLayout(Path workDir, Path outputDir, Path inputFile, Path logFile) {

    public AttemptLayout {
        workDir = workDir.toAbsolutePath().normalize();
        outputDir = outputDir.toAbsolutePath().normalize();
        inputFile = inputFile.toAbsolutePath().normalize();
        logFile = logFile.toAbsolutePath().normalize();
    }

    /** The agent's layout: {@code {root}/{taskId}-{attempt}/} holding {@code output/}, {@code input.json}, {@code log.txt}. */
    public static AttemptLayout under(Path root, UUID taskId, int attempt) {
        Path dir = root.resolve(taskId + "-" + attempt);
        return new AttemptLayout(dir, dir.resolve("output"), dir.resolve("input.json"), dir.resolve("log.txt"));
    }
}
