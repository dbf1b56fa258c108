package dev.taskmesh.contract.agent;

import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * The end of an attempt, sent after its files and log were uploaded. The server answers with a {@link CompletionReceipt};
 * until then the agent keeps the completion and sends it again after a reconnect.
 *
 * @param outcome   how it ended
 * @param exitCode  exit code of a {@code command}, null for handlers
 * @param error     for FAILED: what a person needs to act, e.g. {@code exit code 3; last lines of stderr: ...}
 * @param retryable false when the task says that running it again cannot help
 * @param files     the uploaded output files
 * @param startedAt when the attempt began running, if no {@link TaskStarted} was sent for it (an attempt that ended
 *                  within moments is reported by its completion alone); null otherwise
 * @param output    the output JSON of a handler, when it serializes to at most {@value #MAX_INLINE_OUTPUT_BYTES}
 *                  bytes: it travels here instead of being uploaded as {@code result.json}; null otherwise
 */
public record TaskCompletion(UUID taskId, int attempt, Outcome outcome, @Nullable Integer exitCode,
                             @Nullable String error, boolean retryable, List<OutputFile> files, Instant finishedAt,
                             @Nullable Instant startedAt, @Nullable JsonNode output) {

    /**
     * Largest output JSON sent inline. It keeps a completion well inside one WebSocket frame (64 KiB on the gateway
     * and the task-service); a larger output is uploaded as the file {@code result.json}.
     */
    public static final int MAX_INLINE_OUTPUT_BYTES = 16 * 1024;

    public TaskCompletion {
        files = List.copyOf(files);
    }
}
