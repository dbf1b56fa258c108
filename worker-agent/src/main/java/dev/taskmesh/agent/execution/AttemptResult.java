package dev.taskmesh.agent.execution;

import dev.taskmesh.contract.agent.Outcome;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * How an attempt ended on this machine, before its outputs are uploaded.
 *
 * @param exitCode the process's exit code when it exited by itself; null for handlers and killed processes
 * @param error    for FAILED and CANCELLED: the reason, for a person
 * @param output   a handler's output JSON, kept in memory (a command's output is its {@code result.json} file)
 */
public record AttemptResult(Outcome outcome, @Nullable Integer exitCode, @Nullable String error, boolean retryable,
                            @Nullable JsonNode output) {

    static AttemptResult succeeded(@Nullable Integer exitCode) {
        return new AttemptResult(Outcome.SUCCEEDED, exitCode, null, false, null);
    }

    static AttemptResult succeededWith(@Nullable JsonNode output) {
        return new AttemptResult(Outcome.SUCCEEDED, null, null, false, output);
    }

    public static AttemptResult failed(String error, boolean retryable, @Nullable Integer exitCode) {
        return new AttemptResult(Outcome.FAILED, exitCode, error, retryable, null);
    }

    static AttemptResult cancelled(String reason) {
        return new AttemptResult(Outcome.CANCELLED, null, "cancelled: " + reason, false, null);
    }

    /** This result with the outputs' upload failure folded in: a success turns into a failure. */
    public AttemptResult withUploadFailure(String uploadError, boolean uploadRetryable) {
        return switch (outcome) {
            case SUCCEEDED -> failed(uploadError, uploadRetryable, exitCode);
            case FAILED -> failed(error + "; " + uploadError, retryable && uploadRetryable, exitCode);
            // the cancellation was asked for; it stays the outcome
            case CANCELLED -> new AttemptResult(outcome, exitCode, error + "; " + uploadError, false, null);
        };
    }
}
