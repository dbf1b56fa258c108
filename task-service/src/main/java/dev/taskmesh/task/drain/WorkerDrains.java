package dev.taskmesh.task.drain;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.annotation.Transactional;

/**
 * {@code worker_drains}: the workers an administrator drained. The claim statement reads it for every claim, so a
 * drain takes effect on every instance at once; {@code worker_leases.draining} is kept in step for readers of the
 * fleet, and the heartbeats forwarded to the registry carry the flag.
 */
@Repository
public class WorkerDrains {

    private final JdbcTemplate jdbc;

    WorkerDrains(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** A drained worker: since when, and by whom. */
    public record Drain(String workerId, Instant drainedAt, String drainedBy) {
    }

    /** Drains the worker; a worker already drained keeps its first drain. */
    @Transactional
    public Drain drain(String workerId, String by, Instant now) {
        jdbc.update("""
                INSERT INTO worker_drains (worker_id, drained_at, drained_by) VALUES (?, ?, ?)
                ON CONFLICT (worker_id) DO NOTHING""", workerId, now.atOffset(ZoneOffset.UTC), by);
        jdbc.update("UPDATE worker_leases SET draining = true WHERE worker_id = ?", workerId);
        return find(workerId).orElseThrow(() -> new IllegalStateException("Drain of " + workerId + " vanished"));
    }

    /** @return whether the worker was drained */
    @Transactional
    public boolean undrain(String workerId) {
        boolean removed = jdbc.update("DELETE FROM worker_drains WHERE worker_id = ?", workerId) > 0;
        jdbc.update("UPDATE worker_leases SET draining = false WHERE worker_id = ?", workerId);
        return removed;
    }

    public Optional<Drain> find(String workerId) {
        return jdbc.query("SELECT worker_id, drained_at, drained_by FROM worker_drains WHERE worker_id = ?",
                (rs, n) -> new Drain(rs.getString("worker_id"),
                        rs.getObject("drained_at", OffsetDateTime.class).toInstant(), rs.getString("drained_by")),
                workerId).stream().findFirst();
    }

    /** Which of these workers are drained. */
    public Set<String> drainingAmong(Collection<String> workerIds) {
        if (workerIds.isEmpty()) {
            return Set.of();
        }
        return new HashSet<>(jdbc.queryForList("SELECT worker_id FROM worker_drains WHERE worker_id = ANY (?::text[])",
                String.class, (Object) workerIds.toArray(String[]::new)));
    }

    /** How many tasks the worker holds (ASSIGNED or RUNNING): what a drained worker still finishes. */
    public int activeTasks(String workerId) {
        Integer count = jdbc.queryForObject(
                "SELECT count(*) FROM tasks WHERE worker_id = ? AND status IN ('ASSIGNED', 'RUNNING')", Integer.class,
                workerId);
        return count == null ? 0 : count;
    }
}
