package dev.taskmesh.registry.heartbeat;

import dev.taskmesh.contract.WireJson;
import dev.taskmesh.contract.agent.Capabilities;
import dev.taskmesh.contract.agent.RunningAttempt;
import dev.taskmesh.contract.agent.WorkerHeartbeats;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.BatchPreparedStatementSetter;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/** The latest heartbeat of each worker, in {@code registry.worker_heartbeats}. */
@Repository
public class Heartbeats {

    private static final Logger log = LoggerFactory.getLogger(Heartbeats.class);

    /*
     * One statement per heartbeat, sent as one JDBC batch in one transaction. Unknown and deleted workers insert
     * nothing (the SELECT finds no row), and a heartbeat older than the stored one (a late batch from another
     * task-service instance) changes nothing.
     */
    private static final String UPSERT = """
            INSERT INTO registry.worker_heartbeats (worker_id, received_at, capabilities, running, free_slots,
                                                    draining)
            SELECT w.id, ?, ?::jsonb, ?::jsonb, ?, ?
              FROM registry.workers w
             WHERE w.id = ? AND w.deleted_at IS NULL
            ON CONFLICT (worker_id) DO UPDATE
               SET received_at = EXCLUDED.received_at,
                   capabilities = EXCLUDED.capabilities,
                   running = EXCLUDED.running,
                   free_slots = EXCLUDED.free_slots,
                   draining = EXCLUDED.draining
             WHERE registry.worker_heartbeats.received_at <= EXCLUDED.received_at
            """;

    private static final String SELECT = """
            SELECT worker_id, received_at, capabilities::text AS capabilities, running::text AS running, free_slots,
                   draining
              FROM registry.worker_heartbeats
            """;

    private static final String COUNT_ONLINE = """
            SELECT count(*)
              FROM registry.worker_heartbeats h
              JOIN registry.workers w ON w.id = h.worker_id
             WHERE w.deleted_at IS NULL AND h.received_at > ?
            """;

    private final JdbcTemplate jdbc;
    private final LivenessProperties liveness;
    private final JsonMapper json = WireJson.mapper();

    Heartbeats(JdbcTemplate jdbc, LivenessProperties liveness) {
        this.jdbc = jdbc;
        this.liveness = liveness;
    }

    /**
     * Stores the latest heartbeat of every worker in the batch. Entries whose worker id is no UUID are skipped, as
     * are unknown workers.
     *
     * @return how many entries were written to the batch (unknown workers included)
     */
    @Transactional
    int record(WorkerHeartbeats batch) {
        Map<UUID, WorkerHeartbeats.Received> latest = new HashMap<>();
        for (WorkerHeartbeats.Received received : batch.heartbeats()) {
            UUID id = workerId(received);
            if (id != null) {
                latest.merge(id, received, (a, b) -> a.receivedAt().isAfter(b.receivedAt()) ? a : b);
            }
        }
        // the same order in every batch, so that two concurrent batches lock rows in the same order
        List<Map.Entry<UUID, WorkerHeartbeats.Received>> rows = latest.entrySet().stream()
                .sorted(Map.Entry.comparingByKey(Comparator.naturalOrder()))
                .toList();
        if (rows.isEmpty()) {
            return 0;
        }
        jdbc.batchUpdate(UPSERT, new BatchPreparedStatementSetter() {
            @Override
            public void setValues(PreparedStatement ps, int i) throws SQLException {
                UUID id = rows.get(i).getKey();
                WorkerHeartbeats.Received received = rows.get(i).getValue();
                ps.setTimestamp(1, Timestamp.from(received.receivedAt()));
                ps.setString(2, json.writeValueAsString(received.heartbeat().capabilities()));
                ps.setString(3, json.writeValueAsString(received.heartbeat().running()));
                ps.setInt(4, received.heartbeat().freeSlots());
                ps.setBoolean(5, received.draining());
                ps.setObject(6, id);
            }

            @Override
            public int getBatchSize() {
                return rows.size();
            }
        });
        return rows.size();
    }

    /** Every stored heartbeat by worker id, deleted workers' included. */
    @Transactional(readOnly = true)
    public Map<UUID, LastHeartbeat> latest() {
        Instant onlineSince = onlineSince();
        Map<UUID, LastHeartbeat> byWorker = new HashMap<>();
        jdbc.query(SELECT, rs -> {
            byWorker.put(rs.getObject("worker_id", UUID.class), map(rs, onlineSince));
        });
        return byWorker;
    }

    @Transactional(readOnly = true)
    public Optional<LastHeartbeat> latest(UUID workerId) {
        Instant onlineSince = onlineSince();
        RowMapper<LastHeartbeat> mapper = (rs, n) -> map(rs, onlineSince);
        return jdbc.query(SELECT + " WHERE worker_id = ?", mapper, workerId).stream().findFirst();
    }

    /** How many workers that are not deleted sent a heartbeat within {@code offline-after}. */
    long countOnline() {
        Long count = jdbc.queryForObject(COUNT_ONLINE, Long.class, Timestamp.from(onlineSince()));
        return count == null ? 0 : count;
    }

    private Instant onlineSince() {
        return Instant.now().minus(liveness.offlineAfter());
    }

    private LastHeartbeat map(ResultSet rs, Instant onlineSince) throws SQLException {
        Instant receivedAt = rs.getTimestamp("received_at").toInstant();
        return new LastHeartbeat(receivedAt, read(rs.getString("capabilities"), Capabilities.class),
                runningOf(rs.getString("running")), rs.getInt("free_slots"), receivedAt.isAfter(onlineSince),
                rs.getBoolean("draining"));
    }

    private List<RunningAttempt> runningOf(String document) {
        RunningAttempt[] running = read(document, RunningAttempt[].class);
        return running == null ? List.of() : List.of(running);
    }

    private <T> @Nullable T read(String document, Class<T> type) {
        try {
            return json.readValue(document, type);
        } catch (JacksonException e) {
            // written by an older or newer version; show the worker without it rather than fail the whole list
            log.debug("Cannot read a stored {}: {}", type.getSimpleName(), e.getOriginalMessage());
            return null;
        }
    }

    private static @Nullable UUID workerId(WorkerHeartbeats.Received received) {
        if (received == null || received.workerId() == null || received.heartbeat() == null
                || received.receivedAt() == null) {
            return null;
        }
        try {
            return UUID.fromString(received.workerId());
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
