package dev.taskmesh.task.lifecycle;

import dev.taskmesh.contract.task.TaskStatus;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.core.ArgumentPreparedStatementSetter;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.PreparedStatementCallback;
import org.springframework.jdbc.core.RowMapperResultSetExtractor;
import org.springframework.stereotype.Repository;
import tools.jackson.databind.json.JsonMapper;

/**
 * The SQL of batches, parents and children: multi-row inserts, the children of a task, the cascade of a cancel and
 * the completion of groups.
 */
@Repository
class FanOutStore {

    /** Rows per INSERT statement: 20 parameters each keeps a statement far below PostgreSQL's 65,535. */
    static final int ROWS_PER_INSERT = 500;
    private static final String OPEN = "('QUEUED', 'ASSIGNED', 'RUNNING')";
    /** A chain of children deeper than this is not followed by a cancel (it cannot be built by mistake). */
    private static final int MAX_DEPTH = 100;

    private final JdbcTemplate jdbc;
    private final JsonMapper json;
    private final TaskStore tasks;
    private final LifecycleProperties lifecycle;

    FanOutStore(JdbcTemplate jdbc, JsonMapper json, TaskStore tasks, LifecycleProperties lifecycle) {
        this.jdbc = jdbc;
        this.json = json;
        this.tasks = tasks;
        this.lifecycle = lifecycle;
    }

    /**
     * One row to insert.
     *
     * @param status    QUEUED, or RUNNING for a group parent (never dispatched)
     * @param requestId the agent's request id of a child submitted by a running task
     */
    record Insert(UUID id, NewTask task, TaskStatus status, Instant createdAt, @Nullable UUID parentId,
                  @Nullable String requestId) {
    }

    /**
     * Inserts the rows with multi-row statements; a row whose idempotency key (or parent and request id) is taken
     * is skipped. Answers the inserted rows, in no particular order.
     */
    List<TaskRow> insertAll(List<Insert> rows) {
        List<TaskRow> inserted = new ArrayList<>(rows.size());
        for (int from = 0; from < rows.size(); from += ROWS_PER_INSERT) {
            List<Insert> chunk = rows.subList(from, Math.min(rows.size(), from + ROWS_PER_INSERT));
            StringBuilder sql = new StringBuilder("""
                    INSERT INTO tasks (id, type, status, owner, owner_name, input, req_cpus, req_memory_mb, req_gpus,
                                       req_gpu_memory_mb, req_labels, priority, timeout_seconds, max_attempts,
                                       idempotency_key, target_workers, created_at, queued_at, parent_id,
                                       child_request_id, dispatch_at, queue_timeout_seconds, queue_deadline,
                                       retry_backoff_seconds, retry_max_backoff_seconds)
                    VALUES """);
            List<Object> args = new ArrayList<>(chunk.size() * 20);
            for (int i = 0; i < chunk.size(); i++) {
                Insert row = chunk.get(i);
                NewTask t = row.task();
                Requirements r = t.requirements();
                sql.append(i == 0 ? "" : ",\n").append(
                        "(?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?::text[], ?, ?, ?, ?, ?::text[], ?, ?, ?, ?, ?, ?,"
                                + " ? + ?::integer * interval '1 second', ?, ?)");
                args.add(row.id());
                args.add(t.type());
                args.add(row.status().name());
                args.add(t.owner());
                args.add(t.ownerName());
                args.add(json.writeValueAsString(t.input()));
                args.add(r.cpus());
                args.add(r.memoryMb());
                args.add(r.gpus());
                args.add(r.gpuMemoryMb());
                args.add(r.labels().toArray(String[]::new));
                args.add(t.priority());
                args.add(t.timeoutSeconds());
                args.add(t.maxAttempts());
                args.add(t.idempotencyKey());
                args.add(t.targetWorkers().toArray(String[]::new));
                args.add(TaskStore.ts(row.createdAt()));
                args.add(TaskStore.ts(row.createdAt()));
                args.add(row.parentId());
                args.add(row.requestId());
                args.add(TaskStore.ts(DispatchOrder.key(row.createdAt(), t.priority(), lifecycle.agingInterval())));
                args.add(t.queueTimeoutSeconds());
                args.add(TaskStore.ts(row.createdAt()));
                args.add(t.queueTimeoutSeconds());
                args.add(t.retryBackoffSeconds());
                args.add(t.retryMaxBackoffSeconds());
            }
            // no conflict target: both the owner's idempotency keys and the parent's request ids are honoured
            sql.append("\nON CONFLICT DO NOTHING RETURNING *");
            inserted.addAll(jdbc.query(sql.toString(), tasks.taskMapper(), args.toArray()));
        }
        return inserted;
    }

    List<TaskRow> findByIdempotencyKeys(String owner, Collection<String> keys) {
        if (keys.isEmpty()) {
            return List.of();
        }
        return jdbc.query("SELECT * FROM tasks WHERE owner = ? AND idempotency_key = ANY (?::text[])",
                tasks.taskMapper(), owner, keys.toArray(String[]::new));
    }

    Optional<TaskRow> findChild(UUID parentId, String requestId) {
        return jdbc.query("SELECT * FROM tasks WHERE parent_id = ? AND child_request_id = ?", tasks.taskMapper(),
                parentId, requestId).stream().findFirst();
    }

    /** Reads the task and keeps it from changing (cancel, completion) until the transaction ends. */
    Optional<TaskRow> lockShared(UUID id) {
        return jdbc.query("SELECT * FROM tasks WHERE id = ? FOR SHARE", tasks.taskMapper(), id).stream().findFirst();
    }

    /** The first {@code limit} children, oldest first, as summaries. */
    /** A task's attempts, oldest first, and its first children, oldest first. */
    record AttemptsAndChildren(List<AttemptRow> attempts, List<TaskView.Child> children) {
    }

    /**
     * A task's attempts and its first {@code childLimit} children, in one round trip: the driver sends the two
     * statements of one string together. A round trip of its own cost more than either read (0.1 ms of
     * PostgreSQL's CPU on this machine), and the transaction that records an outcome makes this read for the
     * callers who wait, before its commit.
     */
    AttemptsAndChildren attemptsAndChildren(UUID taskId, int childLimit) {
        String sql = TaskStore.ATTEMPTS_OF_ONE + """
                ;
                SELECT id, type, status, worker_id, error FROM tasks WHERE parent_id = ?
                ORDER BY created_at, id LIMIT ?""";
        return Objects.requireNonNull(jdbc.execute(sql, (PreparedStatementCallback<AttemptsAndChildren>) statement -> {
            new ArgumentPreparedStatementSetter(new Object[] {taskId, taskId, childLimit}).setValues(statement);
            if (!statement.execute()) {
                throw new IllegalStateException("No attempts came back for task " + taskId);
            }
            List<AttemptRow> attempts;
            try (ResultSet rows = statement.getResultSet()) {
                attempts = new RowMapperResultSetExtractor<>(tasks::mapAttempt).extractData(rows);
            }
            if (!statement.getMoreResults()) {
                throw new IllegalStateException("No children came back for task " + taskId);
            }
            try (ResultSet rows = statement.getResultSet()) {
                return new AttemptsAndChildren(attempts, new RowMapperResultSetExtractor<>(FanOutStore::childSummary)
                        .extractData(rows));
            }
        }));
    }

    private static TaskView.Child childSummary(ResultSet rs, int rowNum) throws SQLException {
        return new TaskView.Child(rs.getObject("id", UUID.class), rs.getString("type"),
                TaskStatus.valueOf(rs.getString("status")), rs.getString("worker_id"), rs.getString("error"));
    }

    List<TaskRow> children(UUID parentId, int limit, long offset) {
        return jdbc.query("SELECT * FROM tasks WHERE parent_id = ? ORDER BY created_at, id LIMIT ? OFFSET ?",
                tasks.taskMapper(), parentId, limit, offset);
    }

    long childCount(UUID parentId) {
        Long count = jdbc.queryForObject("SELECT count(*) FROM tasks WHERE parent_id = ?", Long.class, parentId);
        return count == null ? 0 : count;
    }

    /** Every descendant (children, their children, …) without an outcome yet, locked, in one lock order. */
    List<TaskRow> lockOpenDescendants(UUID rootId) {
        return jdbc.query("""
                WITH RECURSIVE tree (id, depth) AS (
                    SELECT id, 1 FROM tasks WHERE parent_id = ?
                    UNION ALL
                    SELECT c.id, tree.depth + 1 FROM tasks c JOIN tree ON c.parent_id = tree.id
                    WHERE tree.depth < ?)
                SELECT t.* FROM tasks t
                WHERE t.id IN (SELECT id FROM tree) AND t.status IN""" + " " + OPEN + """
                ORDER BY t.id
                FOR UPDATE OF t""", tasks.taskMapper(), rootId, MAX_DEPTH);
    }

    /**
     * Ends a running group whose children all have their outcome, in one guarded statement: SUCCEEDED when every
     * child succeeded, else FAILED with how many failed or were cancelled. Empty when the group is not running or
     * some child is still open.
     */
    Optional<TaskRow> completeGroup(UUID groupId, Instant now) {
        return jdbc.query("""
                UPDATE tasks g SET (status, error) = (
                        SELECT CASE WHEN count(*) FILTER (WHERE c.status <> 'SUCCEEDED') = 0 THEN 'SUCCEEDED'
                                    ELSE 'FAILED' END,
                               CASE WHEN count(*) FILTER (WHERE c.status <> 'SUCCEEDED') = 0 THEN NULL
                                    WHEN count(*) FILTER (WHERE c.status = 'CANCELLED') = 0
                                        THEN count(*) FILTER (WHERE c.status = 'FAILED') || ' of ' || count(*)
                                             || ' children failed'
                                    WHEN count(*) FILTER (WHERE c.status = 'FAILED') = 0
                                        THEN count(*) FILTER (WHERE c.status = 'CANCELLED') || ' of ' || count(*)
                                             || ' children were cancelled'
                                    ELSE count(*) FILTER (WHERE c.status = 'FAILED') || ' of ' || count(*)
                                         || ' children failed, '
                                         || count(*) FILTER (WHERE c.status = 'CANCELLED') || ' cancelled' END
                        FROM tasks c WHERE c.parent_id = g.id),
                    finished_at = ?, version = g.version + 1
                WHERE g.id = ? AND g.type = ? AND g.status = 'RUNNING'
                  AND NOT EXISTS (SELECT 1 FROM tasks o WHERE o.parent_id = g.id AND o.status IN""" + " " + OPEN + """
                )
                RETURNING g.*""", tasks.taskMapper(), TaskStore.ts(now), groupId, TaskRow.GROUP_TYPE)
                .stream().findFirst();
    }

    /** Running groups that have no open child left: their completion check was lost (a crash after a commit). */
    List<UUID> runningGroupsWithoutOpenChildren(int limit) {
        return jdbc.query("""
                SELECT g.id FROM tasks g
                WHERE g.type = ? AND g.status = 'RUNNING'
                  AND NOT EXISTS (SELECT 1 FROM tasks o WHERE o.parent_id = g.id AND o.status IN""" + " " + OPEN + """
                )
                ORDER BY g.created_at
                LIMIT ?""", (rs, n) -> rs.getObject("id", UUID.class), TaskRow.GROUP_TYPE, limit);
    }

    /** What a finished child needs to know of its parent: whether it is a group, and who runs it. */
    Optional<ParentState> parentState(UUID parentId) {
        return jdbc.query("SELECT type, status, attempt, worker_id FROM tasks WHERE id = ?",
                (rs, n) -> new ParentState(parentId, rs.getString("type"), TaskStatus.valueOf(rs.getString("status")),
                        rs.getInt("attempt"), rs.getString("worker_id")), parentId).stream().findFirst();
    }

    /** Workers whose lease is unexpired and whose agent carries the label, sorted. */
    List<String> onlineWorkersWithLabel(String label, Instant now, int limit) {
        return jdbc.queryForList("""
                SELECT worker_id FROM worker_leases WHERE expires_at > ? AND ? = ANY (labels)
                ORDER BY worker_id LIMIT ?""", String.class, TaskStore.ts(now), label, limit);
    }
}
