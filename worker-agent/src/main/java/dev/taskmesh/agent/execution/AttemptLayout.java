package dev.taskmesh.agent.execution;

import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

/**
 * Where an attempt runs and keeps its files. Every path is absolute.
 *
 * @param workDir    the process's working directory
 * @param outputDir  folder whose files are the attempt's outputs ({@code TASKMESH_OUTPUT_DIR})
 * @param inputFile  the input JSON ({@code TASKMESH_INPUT})
 * @param logFile    every log line of the attempt, uploaded at the end
 * @param ownWorkDir whether {@code workDir} belongs to this attempt alone (an agent's layout), so that what an
 *                   earlier agent process left there is deleted before the attempt writes anything; {@code run-local}
 *                   runs in the user's folder, which is never deleted
 */
public record AttemptLayout(Path workDir, Path outputDir, Path inputFile, Path logFile, boolean ownWorkDir) {

    public AttemptLayout {
        for (Path path : List.of(workDir, outputDir, inputFile, logFile)) {
            if (!path.isAbsolute()) {
                throw new IllegalArgumentException("an attempt's paths are absolute: " + path);
            }
        }
    }

    /**
     * The agent's layout: {@code {root}/{taskId}-{attempt}/} holding {@code output/}, {@code input.json},
     * {@code log.txt}.
     *
     * @param root absolute and normalized (the agent's work folder)
     */
    public static AttemptLayout under(Path root, UUID taskId, int attempt) {
        Path dir = root.resolve(taskId + "-" + attempt);
        return new AttemptLayout(dir, dir.resolve("output"), dir.resolve("input.json"), dir.resolve("log.txt"), true);
    }
}
