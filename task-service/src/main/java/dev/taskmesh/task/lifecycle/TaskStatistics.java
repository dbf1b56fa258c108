package dev.taskmesh.task.lifecycle;

import dev.taskmesh.contract.task.TaskStatus;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Per-minute statistics of tasks, computed by the database with {@code date_trunc('minute', …) GROUP BY} over
 * index range reads: creations from the {@code (created_at, id)} indexes, outcomes from {@code tasks_finished}
 * (which includes status and owner, so it is read alone). Each query touches only the window's rows.
 */
@Service
@Transactional(readOnly = true)
public class TaskStatistics {

    /** The longest window: 1,440 one-minute buckets. */
    public static final Duration MAX_WINDOW = Duration.ofHours(24);

    private final JdbcTemplate jdbc;

    TaskStatistics(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * Statistics of the last {@code window} (rounded up to whole minutes) ending at {@code now}.
     *
     * @param owner only this owner's tasks; null for all
     */
    public TaskStats stats(Duration window, @Nullable String owner, Instant now) {
        if (window.compareTo(Duration.ofMinutes(1)) < 0 || window.compareTo(MAX_WINDOW) > 0) {
            throw new IllegalArgumentException("window must be between 1 minute and " + MAX_WINDOW.toHours() + " hours");
        }
        long minutes = (window.toSeconds() + 59) / 60;
        Instant currentMinute = now.truncatedTo(ChronoUnit.MINUTES);
        Instant from = currentMinute.minus(Duration.ofMinutes(minutes - 1));
        String ownerCondition = owner == null ? "" : " AND owner = ?";
        Object[] args = owner == null ? new Object[] {TaskStore.ts(from)} : new Object[] {TaskStore.ts(from), owner};

        Map<Instant, Long> submitted = new HashMap<>();
        Map<TaskStatus, Long> byStatus = new EnumMap<>(TaskStatus.class);
        for (TaskStatus status : TaskStatus.values()) {
            byStatus.put(status, 0L);
        }
        jdbc.query("""
                SELECT date_trunc('minute', created_at) AS minute, status, count(*) AS n
                FROM tasks WHERE created_at >= ?""" + ownerCondition + " GROUP BY 1, 2", rs -> {
            long n = rs.getLong("n");
            submitted.merge(minute(rs.getObject("minute", OffsetDateTime.class)), n, Long::sum);
            byStatus.merge(TaskStatus.valueOf(rs.getString("status")), n, Long::sum);
        }, args);

        Map<Instant, Long> succeeded = new HashMap<>();
        Map<Instant, Long> failed = new HashMap<>();
        jdbc.query("""
                SELECT date_trunc('minute', finished_at) AS minute, status, count(*) AS n
                FROM tasks WHERE finished_at >= ? AND status IN ('SUCCEEDED', 'FAILED')""" + ownerCondition
                + " GROUP BY 1, 2", rs -> {
            Instant minute = minute(rs.getObject("minute", OffsetDateTime.class));
            (TaskStatus.SUCCEEDED.name().equals(rs.getString("status")) ? succeeded : failed)
                    .put(minute, rs.getLong("n"));
        }, args);

        List<TaskStats.Bucket> buckets = new ArrayList<>((int) minutes);
        for (Instant at = from; !at.isAfter(currentMinute); at = at.plus(Duration.ofMinutes(1))) {
            buckets.add(new TaskStats.Bucket(at, submitted.getOrDefault(at, 0L), succeeded.getOrDefault(at, 0L),
                    failed.getOrDefault(at, 0L)));
        }

        // [queued, running] now, whenever submitted
        long[] current = new long[2];
        jdbc.query("""
                SELECT count(*) FILTER (WHERE status = 'QUEUED') AS queued,
                       count(*) FILTER (WHERE status = 'RUNNING') AS running
                FROM tasks WHERE status IN ('QUEUED', 'RUNNING')""" + (owner == null ? "" : " AND owner = ?"),
                rs -> {
                    current[0] = rs.getLong("queued");
                    current[1] = rs.getLong("running");
                }, owner == null ? new Object[0] : new Object[] {owner});
        return new TaskStats(window.toString(), byStatus, buckets, current[0], current[1]);
    }

    private static Instant minute(OffsetDateTime value) {
        return value.toInstant();
    }
}
