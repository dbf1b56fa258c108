package dev.taskmesh.result.read;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.taskmesh.contract.task.TaskStatus;
import java.util.List;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * The result of a task: what its recorded attempt uploaded.
 *
 * @param output       content of {@code result.json}, null when there is none or it is not usable
 * @param outputError  why a {@code result.json} that exists is not in {@code output}; absent otherwise
 * @param log          the last 1 MiB of the log, empty when there is none
 * @param logTruncated whether {@code log} is only the end of a longer log
 */
record TaskResult(UUID taskId, TaskStatus status, int attempt, @Nullable String workerId, @Nullable JsonNode output,
                  @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable String outputError, List<ResultFile> files,
                  String log, boolean logTruncated) {

    TaskResult {
        files = List.copyOf(files);
    }

    /** One output file and where to download it. */
    record ResultFile(String name, long size, String sha256, String url) {
    }
}
