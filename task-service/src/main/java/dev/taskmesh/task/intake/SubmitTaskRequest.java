package dev.taskmesh.task.intake;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.PositiveOrZero;
import jakarta.validation.constraints.Size;
import java.util.List;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * Body of {@code POST /api/v1/tasks}.
 *
 * @param type           {@code command} or a handler's type
 * @param input          a JSON object, {@code {}} when absent; for {@code command}: {@code argv} and {@code env}
 * @param priority       higher runs first
 * @param maxAttempts    attempts before the task fails for good; the configured default when absent
 * @param idempotencyKey a second submission of the same owner with the same key returns the first task
 * @param targetWorkers  when not empty, only these workers may run it
 * @param parentId       refused here: a running task submits its children through its agent, which names the parent
 * @param children       for type {@code group}: the tasks of the group, 1 to 1000
 * @param broadcast      run this task once on each of these workers (a group with one child per worker)
 * @param queueTimeoutSeconds fails the task when it waits longer than this in the queue once runnable; the
 *                       configured {@code taskmesh.tasks.default-queue-timeout} (none by default) when absent
 * @param retry          its own retry backoff; the configured one when absent
 */
record SubmitTaskRequest(
        @NotNull @Pattern(regexp = "[a-z0-9][a-z0-9._-]{0,63}",
                message = "must be 1 to 64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit")
        String type,
        @Nullable JsonNode input,
        @Valid @Nullable Requirements requirements,
        @Min(-1000) @Max(1000) @Nullable Integer priority,
        @Min(1) @Max(604800) @Nullable Integer timeoutSeconds,
        @Min(1) @Max(20) @Nullable Integer maxAttempts,
        @Size(max = 200) @Nullable String idempotencyKey,
        @Size(max = 100) @Nullable List<@NotBlank @Size(max = 200) String> targetWorkers,
        @Nullable UUID parentId,
        @Size(min = 1, max = 1000) @Nullable List<@NotNull @Valid SubmitTaskRequest> children,
        @Valid @Nullable Broadcast broadcast,
        @Min(1) @Max(2592000) @Nullable Integer queueTimeoutSeconds,
        @Valid @Nullable Retry retry) {

    /**
     * Where a broadcast runs: the workers named, or every online worker whose agent carries the label. Exactly one
     * of the two.
     */
    record Broadcast(@Size(min = 1, max = 1000) @Nullable List<@NotBlank @Size(max = 200) String> workers,
                     @Size(min = 1, max = 200) @Nullable String label) {
    }

    /**
     * Retry backoff of this task: before retry {@code n} it waits a random delay between 0 and
     * {@code min(maxBackoffSeconds, backoffSeconds × 2^(n-1))}.
     */
    record Retry(@Min(0) @Max(86400) @Nullable Integer backoffSeconds,
                 @Min(0) @Max(86400) @Nullable Integer maxBackoffSeconds) {
    }

    /** Hard requirements; every field is optional. */
    record Requirements(@PositiveOrZero @Nullable Integer cpus,
                        @PositiveOrZero @Nullable Long memoryMb,
                        @PositiveOrZero @Nullable Integer gpus,
                        @PositiveOrZero @Nullable Long gpuMemoryMb,
                        @Size(max = 50) @Nullable List<@NotBlank @Size(max = 200) String> labels) {
    }
}
