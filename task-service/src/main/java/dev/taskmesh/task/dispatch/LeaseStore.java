package dev.taskmesh.task.dispatch;

import dev.taskmesh.contract.agent.Capabilities;
import dev.taskmesh.contract.agent.Gpu;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;

/**
 * {@code worker_leases}: until when each worker's tasks are safe without another heartbeat, and what the worker
 * offered in its latest heartbeat (so that every instance sees the whole fleet: waiting reasons, estimates).
 */
@Repository
class LeaseStore {

    private final JdbcTemplate jdbc;

    LeaseStore(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * What one heartbeat tells the lease table.
     *
     * @param heardAt      when the heartbeat arrived
     * @param capabilities what the worker offered then
     */
    record Renewal(Instant expiresAt, Instant heardAt, @Nullable Capabilities capabilities) {
    }

    /**
     * Sets the expiry of each worker's lease and its capabilities, in one batch. An expiry never moves backwards,
     * and capabilities older than the stored ones (a late flush of another instance) change nothing. The
     * {@code draining} copy is read from {@code worker_drains} in the same statement.
     */
    void renew(Map<String, Renewal> renewals) {
        if (renewals.isEmpty()) {
            return;
        }
        jdbc.batchUpdate("""
                INSERT INTO worker_leases (worker_id, expires_at, heard_at, cpus, memory_mb, gpu_memory_mb, labels,
                                           task_types, slots, draining)
                VALUES (?, ?, ?, ?, ?, ?::bigint[], ?::text[], ?::text[], ?,
                        EXISTS (SELECT 1 FROM worker_drains d WHERE d.worker_id = ?))
                ON CONFLICT (worker_id) DO UPDATE
                   SET expires_at = greatest(worker_leases.expires_at, EXCLUDED.expires_at),
                       draining = EXCLUDED.draining,
                       heard_at = CASE WHEN fresher THEN EXCLUDED.heard_at ELSE worker_leases.heard_at END,
                       cpus = CASE WHEN fresher THEN EXCLUDED.cpus ELSE worker_leases.cpus END,
                       memory_mb = CASE WHEN fresher THEN EXCLUDED.memory_mb ELSE worker_leases.memory_mb END,
                       gpu_memory_mb = CASE WHEN fresher THEN EXCLUDED.gpu_memory_mb
                                            ELSE worker_leases.gpu_memory_mb END,
                       labels = CASE WHEN fresher THEN EXCLUDED.labels ELSE worker_leases.labels END,
                       task_types = CASE WHEN fresher THEN EXCLUDED.task_types ELSE worker_leases.task_types END,
                       slots = CASE WHEN fresher THEN EXCLUDED.slots ELSE worker_leases.slots END"""
                        .replace("fresher", "EXCLUDED.cpus IS NOT NULL AND (worker_leases.heard_at IS NULL"
                                + " OR worker_leases.heard_at <= EXCLUDED.heard_at)"),
                renewals.entrySet().stream()
                        .sorted(Map.Entry.comparingByKey()) // one lock order, so that two instances never deadlock
                        .map(e -> row(e.getKey(), e.getValue()))
                        .toList());
    }

    private static Object[] row(String workerId, Renewal renewal) {
        Capabilities c = renewal.capabilities();
        return new Object[] {workerId, renewal.expiresAt().atOffset(ZoneOffset.UTC),
                renewal.heardAt().atOffset(ZoneOffset.UTC),
                c == null ? null : c.cpus(), c == null ? null : c.memoryMb(),
                c == null ? null : c.gpus().stream().map(Gpu::memoryMb).toArray(Long[]::new),
                c == null ? null : c.labels().toArray(String[]::new),
                c == null ? null : c.taskTypes().toArray(String[]::new),
                c == null ? null : c.slots(), workerId};
    }
}
