package dev.taskmesh.task.lifecycle;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.scheduling.annotation.SchedulingConfigurer;
import org.springframework.scheduling.config.ScheduledTaskRegistrar;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Observed run times per task type in {@code task_type_stats}: an exponentially weighted moving average, so that
 * recent behaviour counts most and a type whose programs got slower is noticed within a few tens of completions.
 *
 * <p>Samples are folded in memory once the completions that carry them commit, and written every
 * {@link #FLUSH_EVERY} with one small upsert per type (no scan of past tasks), not in the completion's own
 * transaction: a completion then costs no statement for its statistics. A crash loses at most that interval's
 * samples of an average, never a task or an outcome; a stop writes what it holds.
 */
@Repository
public class RunTimeStats implements SchedulingConfigurer, DisposableBean {

    /** Weight of the newest sample: about the last 10 to 20 completions dominate the average. */
    static final double ALPHA = 0.1;
    /** How often the samples gathered in memory are written. */
    static final Duration FLUSH_EVERY = Duration.ofSeconds(1);

    private static final Logger log = LoggerFactory.getLogger(RunTimeStats.class);

    /**
     * Samples of one type not yet written, folded: written onto an average {@code avg}, they make it
     * {@code avg * factor + moved}; onto no average yet (a new type), {@code first}.
     */
    record Fold(double first, double moved, double factor, int samples) {

        /** At least one sample, oldest first. */
        static Fold of(List<Duration> samples) {
            Fold fold = of(samples.getFirst());
            for (Duration sample : samples.subList(1, samples.size())) {
                fold = fold.then(of(sample));
            }
            return fold;
        }

        private static Fold of(Duration sample) {
            double seconds = sample.toNanos() / 1e9;
            return new Fold(seconds, seconds * ALPHA, 1 - ALPHA, 1);
        }

        /** The average after these samples: onto {@code avg}, or onto none when {@code avg} is null. */
        double onto(@Nullable Double avg) {
            return avg == null ? first : avg * factor + moved;
        }

        /** These samples, then {@code later}'s. */
        Fold then(Fold later) {
            return new Fold(first * later.factor + later.moved, moved * later.factor + later.moved,
                    factor * later.factor, samples + later.samples);
        }
    }

    private final JdbcTemplate jdbc;
    /** Guarded by itself. */
    private final Map<String, Fold> unwritten = new HashMap<>();

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

    @Override
    public void configureTasks(ScheduledTaskRegistrar registrar) {
        registrar.addFixedDelayTask(this::flush, FLUSH_EVERY);
    }

    @Override
    public void destroy() {
        flush();
    }

    /**
     * Adds completed attempts' run times (from start, or assignment when no start was reported, to the end), oldest
     * first per type, once the current transaction commits (at once without one): a completion rolled back adds
     * nothing.
     */
    void recordAll(Map<String, List<Duration>> runTimes) {
        Map<String, Fold> folds = new HashMap<>();
        runTimes.forEach((type, samples) -> {
            if (!samples.isEmpty()) {
                folds.put(type, Fold.of(samples));
            }
        });
        if (folds.isEmpty()) {
            return;
        }
        if (TransactionSynchronizationManager.isSynchronizationActive()) {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    add(folds);
                }
            });
        } else {
            add(folds);
        }
    }

    private void add(Map<String, Fold> folds) {
        synchronized (unwritten) {
            folds.forEach((type, fold) -> unwritten.merge(type, fold, Fold::then));
        }
    }

    /** Writes the samples gathered since the last flush, one upsert per type, in the order of the types. */
    void flush() {
        Map<String, Fold> taken;
        synchronized (unwritten) {
            if (unwritten.isEmpty()) {
                return;
            }
            taken = new TreeMap<>(unwritten);
            unwritten.clear();
        }
        Instant now = TaskLifecycle.now();
        taken.forEach((type, fold) -> {
            try {
                jdbc.update("""
                        INSERT INTO task_type_stats (type, avg_run_seconds, samples, updated_at) VALUES (?, ?, ?, ?)
                        ON CONFLICT (type) DO UPDATE
                           SET avg_run_seconds = task_type_stats.avg_run_seconds * ? + ?,
                               samples = task_type_stats.samples + EXCLUDED.samples,
                               updated_at = EXCLUDED.updated_at""",
                        type, fold.first(), fold.samples(), TaskStore.ts(now), fold.factor(), fold.moved());
            } catch (RuntimeException e) {
                // kept for the next flush, before what arrived meanwhile
                synchronized (unwritten) {
                    unwritten.merge(type, fold, (meanwhile, failed) -> failed.then(meanwhile));
                }
                log.warn("Cannot write the run times of task type {}; trying again: {}", type, e.toString());
            }
        });
    }

    /** Every type seen so far (one row per type), as last written. */
    public List<TypeStats> all() {
        return jdbc.query("SELECT type, avg_run_seconds, samples FROM task_type_stats ORDER BY type",
                (rs, n) -> new TypeStats(rs.getString("type"), rs.getDouble("avg_run_seconds"), rs.getLong("samples")));
    }
}
