package dev.taskmesh.task.lifecycle;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
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
        recordAll(Map.of(type, List.of(runTime)), now);
    }

    /**
     * Adds completed attempts' run times, oldest first per type, with one upsert per type: the same average as one
     * upsert per sample, since n samples move the average to {@code avg·(1−α)ⁿ + Σ α·(1−α)ⁿ⁻ⁱ·xᵢ}.
     */
    void recordAll(Map<String, List<Duration>> runTimes, Instant now) {
        runTimes.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(entry -> {
            List<Duration> samples = entry.getValue();
            if (samples.isEmpty()) {
                return;
            }
            // the first sample is the average of a new type; each later one moves it by ALPHA
            double first = 0;
            double moved = 0;
            double factor = 1;
            for (int i = 0; i < samples.size(); i++) {
                double seconds = samples.get(i).toNanos() / 1e9;
                first = i == 0 ? seconds : first * (1 - ALPHA) + seconds * ALPHA;
                moved = moved * (1 - ALPHA) + seconds * ALPHA;
                factor *= 1 - ALPHA;
            }
            jdbc.update("""
                    INSERT INTO task_type_stats (type, avg_run_seconds, samples, updated_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (type) DO UPDATE
                       SET avg_run_seconds = task_type_stats.avg_run_seconds * ? + ?,
                           samples = task_type_stats.samples + EXCLUDED.samples,
                           updated_at = EXCLUDED.updated_at""",
                    entry.getKey(), first, samples.size(), TaskStore.ts(now), factor, moved);
        });
    }

    /** Every type seen so far (one row per type). */
    public List<TypeStats> all() {
        return jdbc.query("SELECT type, avg_run_seconds, samples FROM task_type_stats ORDER BY type",
                (rs, n) -> new TypeStats(rs.getString("type"), rs.getDouble("avg_run_seconds"), rs.getLong("samples")));
    }
}
