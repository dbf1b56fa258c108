package dev.taskmesh.task.lifecycle;

import dev.taskmesh.contract.task.TaskStatus;
import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.stereotype.Repository;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The SQL of {@code tasks} and {@code task_attempts}. Every update that changes a task's state names the state,
 * attempt and worker it expects, so that of two racing changes exactly one matches.
 */
@Repository
class TaskStore {

    private static final String ACTIVE = "('ASSIGNED', 'RUNNING')";

    private final JdbcTemplate jdbc;
    private final JsonMapper json;
    private final RowMapper<TaskRow> taskMapper = this::mapTask;

    TaskStore(JdbcTemplate jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    /** Inserts a QUEUED task; empty when the owner already has a task with this idempotency key. */
    Optional<TaskRow> insert(UUID id, NewTask t, Instant now) {
        Requirements r = t.requirements();
        return first(jdbc.query("""
                INSERT INTO tasks (id, type, status, owner, owner_name, input, req_cpus, req_memory_mb, req_gpus,
                                   req_gpu_memory_mb, req_labels, priority, timeout_seconds, max_attempts,
                                   idempotency_key, target_workers, created_at, queued_at)
                VALUES (?, ?, 'QUEUED', ?, ?, ?::jsonb, ?, ?, ?, ?, ?::text[], ?, ?, ?, ?, ?::text[], ?, ?)
                ON CONFLICT (owner, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
                RETURNING *""", taskMapper,
                id, t.type(), t.owner(), t.ownerName(), json.writeValueAsString(t.input()), r.cpus(), r.memoryMb(),
                r.gpus(), r.gpuMemoryMb(), texts(r.labels()), t.priority(), t.timeoutSeconds(), t.maxAttempts(),
                t.idempotencyKey(), texts(t.targetWorkers()), ts(now), ts(now)));
    }

    Optional<TaskRow> find(UUID id) {
        return first(jdbc.query("SELECT * FROM tasks WHERE id = ?", taskMapper, id));
    }

    Optional<String> ownerOf(UUID id) {
        return first(jdbc.queryForList("SELECT owner FROM tasks WHERE id = ?", String.class, id));
    }

    /** Reads the task and locks its row until the transaction ends. */
    Optional<TaskRow> lock(UUID id) {
        return first(jdbc.query("SELECT * FROM tasks WHERE id = ? FOR UPDATE", taskMapper, id));
    }

    Optional<TaskRow> findByIdempotencyKey(String owner, String key) {
        return first(jdbc.query("SELECT * FROM tasks WHERE owner = ? AND idempotency_key = ?", taskMapper, owner,
                key));
    }

    /** One page of a listing, at most {@code limit} rows. */
    List<TaskRow> page(TaskFilter filter, int limit) {
        TaskListSql page = TaskListSql.page(filter, limit);
        return jdbc.query(page.sql(), taskMapper, page.argArray());
    }

    /** How many tasks match, counting no further than {@code cap}. */
    long cappedCount(TaskFilter filter, int cap) {
        TaskListSql count = TaskListSql.cappedCount(filter, cap);
        Long n = jdbc.queryForObject(count.sql(), Long.class, count.argArray());
        return n == null ? 0 : n;
    }

    /** The planner's estimate of how many tasks match: cheap whatever the table's size, from its statistics. */
    long estimatedCount(TaskFilter filter) {
        TaskListSql explain = TaskListSql.estimate(filter);
        String plan = jdbc.queryForObject(explain.sql(), String.class, explain.argArray());
        JsonNode rows = plan == null ? null : json.readTree(plan).path(0).path("Plan").get("Plan Rows");
        return rows == null ? 0 : rows.asLong();
    }

    /** Claims up to {@code offer.limit()} queued tasks the agent can run, best first, skipping rows others hold. */
    List<TaskRow> claim(AgentOffer offer, Instant now) {
        // a locking CTE runs exactly once, so the LIMIT holds however the planner joins it to the update
        return jdbc.query("""
                WITH claimable AS (
                    SELECT id FROM tasks
                    WHERE status = 'QUEUED'
                      AND type = ANY (?::text[])
                      AND req_cpus <= ? AND req_memory_mb <= ?
                      AND req_labels <@ ?::text[]
                      AND (cardinality(target_workers) = 0 OR ? = ANY (target_workers))
                      AND req_gpus <= (SELECT count(*) FROM unnest(?::bigint[]) AS gpu(memory_mb)
                                       WHERE gpu.memory_mb >= req_gpu_memory_mb)
                    ORDER BY priority DESC, created_at
                    LIMIT ?
                    FOR UPDATE SKIP LOCKED)
                UPDATE tasks t SET status = 'ASSIGNED', attempt = t.attempt + 1, worker_id = ?, assigned_at = ?,
                                   started_at = NULL, finished_at = NULL, progress = NULL, error = NULL,
                                   version = t.version + 1
                FROM claimable
                WHERE t.id = claimable.id
                RETURNING t.*""", taskMapper,
                texts(offer.taskTypes()), offer.cpus(), offer.memoryMb(), texts(offer.labels()), offer.workerId(),
                offer.gpuMemoryMb().toArray(Long[]::new), offer.limit(), offer.workerId(), ts(now));
    }

    void insertRunningAttempts(List<TaskRow> claimed) {
        jdbc.batchUpdate("""
                INSERT INTO task_attempts (task_id, attempt, worker_id, status, assigned_at)
                VALUES (?, ?, ?, 'RUNNING', ?)""", claimed.stream()
                .map(t -> new Object[] {t.id(), t.attempt(), t.workerId(), ts(t.assignedAt())})
                .toList());
    }

    /** ASSIGNED to RUNNING, if the attempt is still the current one of this worker. */
    Optional<TaskRow> markRunning(UUID id, int attempt, String workerId, Instant now) {
        Optional<TaskRow> row = first(jdbc.query("""
                UPDATE tasks SET status = 'RUNNING', started_at = ?, version = version + 1
                WHERE id = ? AND attempt = ? AND worker_id = ? AND status = 'ASSIGNED'
                RETURNING *""", taskMapper, ts(now), id, attempt, workerId));
        row.ifPresent(t -> jdbc.update("UPDATE task_attempts SET started_at = ? WHERE task_id = ? AND attempt = ?",
                ts(now), id, attempt));
        return row;
    }

    Optional<TaskRow> saveProgress(TaskRow t, Progress progress) {
        return first(jdbc.query("""
                UPDATE tasks SET progress = ?::jsonb, version = version + 1
                WHERE id = ? AND attempt = ? AND worker_id = ? AND status IN""" + " " + ACTIVE + " RETURNING *",
                taskMapper, json.writeValueAsString(progress), t.id(), t.attempt(), t.workerId()));
    }

    /**
     * Ends the current attempt of an active task: the task becomes {@code next} (a final status, or QUEUED again
     * for a retry). The guard on attempt, worker and status makes this the one outcome of the attempt.
     */
    Optional<TaskRow> finishAttempt(TaskRow t, TaskStatus next, @Nullable String error, Instant now) {
        Progress progress = t.progress() == null ? null : t.progress().finished(now);
        String sql = next == TaskStatus.QUEUED
                ? """
                  UPDATE tasks SET status = 'QUEUED', worker_id = NULL, assigned_at = NULL, started_at = NULL,
                                   queued_at = ?, progress = NULL, error = ?, version = version + 1
                  WHERE id = ? AND attempt = ? AND worker_id = ? AND status IN""" + " " + ACTIVE + " RETURNING *"
                : """
                  UPDATE tasks SET status = ?, finished_at = ?, progress = ?::jsonb, error = ?, version = version + 1
                  WHERE id = ? AND attempt = ? AND worker_id = ? AND status IN""" + " " + ACTIVE + " RETURNING *";
        Object[] args = next == TaskStatus.QUEUED
                ? new Object[] {ts(now), error, t.id(), t.attempt(), t.workerId()}
                : new Object[] {next.name(), ts(now), progress == null ? null : json.writeValueAsString(progress),
                        error, t.id(), t.attempt(), t.workerId()};
        return first(jdbc.query(sql, taskMapper, args));
    }

    /** Cancels a task that has no outcome yet; empty when it already has one. */
    Optional<TaskRow> cancel(UUID id, String error, Instant now) {
        return first(jdbc.query("""
                UPDATE tasks SET status = 'CANCELLED', error = ?, finished_at = ?, version = version + 1
                WHERE id = ? AND status IN ('QUEUED', 'ASSIGNED', 'RUNNING')
                RETURNING *""", taskMapper, error, ts(now), id));
    }

    /** Active tasks whose worker holds no unexpired lease, locked; rows other instances hold are skipped. */
    List<TaskRow> lockActiveWithoutLease(Instant now, int limit) {
        return jdbc.query("""
                SELECT * FROM tasks t
                WHERE t.status IN""" + " " + ACTIVE + """
                  AND t.worker_id IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM worker_leases l WHERE l.worker_id = t.worker_id AND l.expires_at > ?)
                ORDER BY t.assigned_at
                LIMIT ?
                FOR UPDATE SKIP LOCKED""", taskMapper, ts(now), limit);
    }

    /** Active tasks of one worker assigned before {@code before}, locked. */
    List<TaskRow> lockActiveOf(String workerId, Instant before) {
        return jdbc.query("SELECT * FROM tasks WHERE worker_id = ? AND status IN " + ACTIVE
                + " AND assigned_at < ? FOR UPDATE", taskMapper, workerId, ts(before));
    }

    Optional<AttemptRow> findAttempt(UUID taskId, int attempt) {
        return first(jdbc.query("SELECT * FROM task_attempts WHERE task_id = ? AND attempt = ?", this::mapAttempt,
                taskId, attempt));
    }

    List<AttemptRow> attemptsOf(Collection<UUID> taskIds) {
        if (taskIds.isEmpty()) {
            return List.of();
        }
        return jdbc.query("SELECT * FROM task_attempts WHERE task_id = ANY (?::uuid[]) ORDER BY task_id, attempt",
                this::mapAttempt, (Object) taskIds.toArray(UUID[]::new));
    }

    /** Records how an attempt ended; {@code onlyIf} is the status it must still have. */
    boolean finishAttemptRow(UUID taskId, int attempt, AttemptStatus status, @Nullable String error, Instant now,
                             AttemptStatus onlyIf) {
        return jdbc.update("""
                UPDATE task_attempts SET status = ?, error = ?, finished_at = ?
                WHERE task_id = ? AND attempt = ? AND status = ?""",
                status.name(), error, ts(now), taskId, attempt, onlyIf.name()) > 0;
    }

    /** An agent reported on an attempt that is no longer current: it is marked STALE unless already ended. */
    void markStale(UUID taskId, int attempt, String workerId, String reason, Instant now) {
        jdbc.update("""
                UPDATE task_attempts SET status = 'STALE', error = ?, finished_at = ?
                WHERE task_id = ? AND attempt = ? AND worker_id = ? AND status = 'RUNNING'
                  AND attempt <> (SELECT attempt FROM tasks WHERE id = ?)""",
                reason, ts(now), taskId, attempt, workerId, taskId);
    }

    /** Counts of tasks per status, for the gauges. */
    List<StatusCount> countByStatus() {
        return jdbc.query("""
                SELECT status, count(*) AS n FROM tasks WHERE status IN ('QUEUED', 'RUNNING') AND type <> ?
                GROUP BY status""",
                (rs, n) -> new StatusCount(TaskStatus.valueOf(rs.getString("status")), rs.getLong("n")),
                // a running group is no work of any agent
                TaskRow.GROUP_TYPE);
    }

    record StatusCount(TaskStatus status, long count) {
    }

    private TaskRow mapTask(ResultSet rs, int rowNum) throws SQLException {
        String progress = rs.getString("progress");
        return new TaskRow(rs.getObject("id", UUID.class), rs.getString("type"),
                TaskStatus.valueOf(rs.getString("status")), rs.getString("owner"), rs.getString("owner_name"),
                json.readTree(rs.getString("input")),
                new Requirements(rs.getInt("req_cpus"), rs.getLong("req_memory_mb"), rs.getInt("req_gpus"),
                        rs.getLong("req_gpu_memory_mb"), texts(rs.getArray("req_labels"))),
                rs.getInt("priority"), rs.getObject("timeout_seconds", Integer.class), rs.getInt("max_attempts"),
                rs.getString("idempotency_key"), texts(rs.getArray("target_workers")), rs.getInt("attempt"),
                rs.getString("worker_id"), progress == null ? null : json.readValue(progress, Progress.class),
                rs.getString("error"), requiredInstant(rs, "created_at"), requiredInstant(rs, "queued_at"),
                instant(rs, "assigned_at"), instant(rs, "started_at"), instant(rs, "finished_at"),
                rs.getLong("version"), rs.getObject("parent_id", UUID.class));
    }

    /** Maps a whole {@code tasks} row, for other stores of this package. */
    RowMapper<TaskRow> taskMapper() {
        return taskMapper;
    }

    private AttemptRow mapAttempt(ResultSet rs, int rowNum) throws SQLException {
        return new AttemptRow(rs.getObject("task_id", UUID.class), rs.getInt("attempt"), rs.getString("worker_id"),
                AttemptStatus.valueOf(rs.getString("status")), requiredInstant(rs, "assigned_at"),
                instant(rs, "started_at"), instant(rs, "finished_at"), rs.getString("error"));
    }

    private static <T> Optional<T> first(List<T> rows) {
        return rows.stream().findFirst();
    }

    private static String[] texts(List<String> values) {
        return values.toArray(String[]::new);
    }

    private static List<String> texts(@Nullable Array array) throws SQLException {
        return array == null ? List.of() : Arrays.asList((String[]) array.getArray());
    }

    private static @Nullable Instant instant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }

    private static Instant requiredInstant(ResultSet rs, String column) throws SQLException {
        return Objects.requireNonNull(instant(rs, column), column);
    }

    static @Nullable OffsetDateTime ts(@Nullable Instant instant) {
        return instant == null ? null : instant.atOffset(ZoneOffset.UTC);
    }
}
