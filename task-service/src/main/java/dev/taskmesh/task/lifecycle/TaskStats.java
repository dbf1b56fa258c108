package dev.taskmesh.task.lifecycle;

import dev.taskmesh.contract.task.TaskStatus;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The answer of {@code GET /api/v1/tasks/stats}: what happened in the last {@code window}, minute by minute, and
 * the queue now.
 *
 * @param window   the window asked for, as an ISO-8601 duration ({@code PT1H})
 * @param byStatus the tasks created within the window, by their current status; every status is present
 * @param buckets  one per minute, oldest first; the last one is the current, unfinished minute
 * @param queued   tasks waiting for an agent now, whenever they were submitted
 * @param running  tasks an agent runs now, whenever they were submitted
 */
public record TaskStats(String window, Map<TaskStatus, Long> byStatus, List<Bucket> buckets, long queued,
                        long running) {

    public TaskStats {
        // in the order of the statuses, for people reading the JSON
        byStatus = Collections.unmodifiableMap(new EnumMap<>(byStatus));
        buckets = List.copyOf(buckets);
    }

    /**
     * One minute.
     *
     * @param at        the minute's start
     * @param submitted tasks created in that minute
     * @param succeeded tasks that finished SUCCEEDED in that minute
     * @param failed    tasks that finished FAILED (for good, retries aside) in that minute
     */
    public record Bucket(Instant at, long submitted, long succeeded, long failed) {
    }
}
