package dev.taskmesh.task.lifecycle;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;

/**
 * Observed run times per task type in {@code task_type_stats}: an exponentially weighted moving average, updated
 * by one small upsert per completed attempt (no scan of past tasks), so that recent behaviour counts most and a
 * type whose programs got slower is noticed within a few tens of completions.
 */
@Repository
public class RunTimeStats {

    /** Weight of the newest sample: about the last 10 to 20 completions dominate the average. */
    static final double ALPHA = 0.1;

    private final JdbcTemplate jdbc;

    RunTimeStats(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * The average run time of one task type.
     *
     * @param samples how many completions it has seen
     */
    public record TypeStats(String type, double avgRunSeconds, long samples) {
    }

    /** Adds one completed attempt's run time (from start, or assignment when no start was reported, to the end). */
    void record(String type, Duration runTime, Instant now) {
        double seconds = runTime.toNanos() / 1e9;
        // the first sample is the average; later ones move it by ALPHA
        jdbc.update("""
                INSERT INTO task_type_stats (type, avg_run_seconds, samples, updated_at) VALUES (?, ?, 1, ?)
                ON CONFLICT (type) DO UPDATE
                   SET avg_run_seconds = task_type_stats.avg_run_seconds * (1 - ?) + EXCLUDED.avg_run_seconds * ?,
                       samples = task_type_stats.samples + 1,
                       updated_at = EXCLUDED.updated_at""",
                type, seconds, TaskStore.ts(now), ALPHA, ALPHA);
    }

    /** Every type seen so far (one row per type). */
    public List<TypeStats> all() {
        return jdbc.query("SELECT type, avg_run_seconds, samples FROM task_type_stats ORDER BY type",
                (rs, n) -> new TypeStats(rs.getString("type"), rs.getDouble("avg_run_seconds"), rs.getLong("samples")));
    }
}
