package dev.taskmesh.registry.worker;

import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Body of {@code POST /api/v1/workers}.
 *
 * @param name   unique among workers that are not deleted; up to 64 characters of {@code [a-zA-Z0-9._-]}
 * @param labels free-form labels such as {@code region=eu} or {@code ssd}; none when left out
 */
record CreateWorkerRequest(
        @NotNull @Size(min = 1, max = 64) @Pattern(regexp = "[a-zA-Z0-9._-]+") String name,
        @Nullable @Size(max = 64) List<@NotNull @Size(min = 1, max = 128) @Pattern(regexp = "\\S+") String> labels) {
}
