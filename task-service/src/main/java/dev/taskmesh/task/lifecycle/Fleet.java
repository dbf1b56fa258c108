package dev.taskmesh.task.lifecycle;

import java.sql.Array;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;

/** The online workers of the whole fleet: those with an unexpired lease whose heartbeat said what they offer. */
@Repository
public class Fleet {

    private final JdbcTemplate jdbc;

    Fleet(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    public List<FleetWorker> online(Instant now) {
        return jdbc.query("""
                SELECT l.worker_id, l.cpus, l.memory_mb, l.gpu_memory_mb, l.labels, l.task_types, l.slots,
                       l.draining OR EXISTS (SELECT 1 FROM worker_drains d WHERE d.worker_id = l.worker_id) AS draining
                FROM worker_leases l
                WHERE l.expires_at > ? AND l.task_types IS NOT NULL
                ORDER BY l.worker_id""",
                (rs, n) -> new FleetWorker(rs.getString("worker_id"), rs.getInt("cpus"), rs.getLong("memory_mb"),
                        longs(rs.getArray("gpu_memory_mb")), texts(rs.getArray("labels")),
                        texts(rs.getArray("task_types")), rs.getInt("slots"), rs.getBoolean("draining")),
                TaskStore.ts(now));
    }

    private static List<String> texts(@Nullable Array array) throws SQLException {
        return array == null ? List.of() : Arrays.asList((String[]) array.getArray());
    }

    private static List<Long> longs(@Nullable Array array) throws SQLException {
        return array == null ? List.of() : Arrays.asList((Long[]) array.getArray());
    }
}
