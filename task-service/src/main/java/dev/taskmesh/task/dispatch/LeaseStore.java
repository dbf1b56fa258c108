package dev.taskmesh.task.dispatch;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;

/** {@code worker_leases}: until when each worker's tasks are safe without another heartbeat. */
@Repository
class LeaseStore {

    private final JdbcTemplate jdbc;

    LeaseStore(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** Sets the expiry of each worker's lease, in one batch; an expiry never moves backwards. */
    void renew(Map<String, Instant> expiries) {
        if (expiries.isEmpty()) {
            return;
        }
        jdbc.batchUpdate("""
                INSERT INTO worker_leases (worker_id, expires_at) VALUES (?, ?)
                ON CONFLICT (worker_id) DO UPDATE SET expires_at = greatest(worker_leases.expires_at, EXCLUDED.expires_at)""",
                expiries.entrySet().stream()
                        .sorted(Map.Entry.comparingByKey()) // one lock order, so that two instances never deadlock
                        .map(e -> new Object[] {e.getKey(), e.getValue().atOffset(ZoneOffset.UTC)})
                        .toList());
    }

    /** The labels of the worker's agent, for broadcasts to a label; written when its session registers. */
    void saveLabels(String workerId, List<String> labels) {
        jdbc.update("UPDATE worker_leases SET labels = ?::text[] WHERE worker_id = ?", labels.toArray(String[]::new),
                workerId);
    }
}
