package dev.taskmesh.task.lifecycle;

import dev.taskmesh.contract.task.TaskStatus;
import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Collection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.core.ArgumentPreparedStatementSetter;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.PreparedStatementCallback;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.RowMapperResultSetExtractor;
import org.springframework.jdbc.core.SqlParameterValue;
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
    /** Advisory lock key of owner-limited claims ("tmowner" in ASCII). */
    private static final long OWNER_LIMIT_LOCK = 0x746d6f776e6572L;

    /** The statement of {@link #failQueueTimeouts}; its arguments: the time of failing, now, the limit. */
    /** One task's attempts, oldest first. */
    static final String ATTEMPTS_OF_ONE = "SELECT * FROM task_attempts WHERE task_id = ? ORDER BY attempt";

    static final String QUEUE_TIMEOUTS = """
            UPDATE tasks SET status = 'FAILED', finished_at = ?, queue_deadline = NULL,
                             error = 'queue timeout: waited ' || queue_timeout_seconds || ' s'
                                     || coalesce('; ' || waiting_reason, ''),
                             version = version + 1
            WHERE id IN (SELECT id FROM tasks
                         WHERE status = 'QUEUED' AND queue_deadline <= ?
                         ORDER BY queue_deadline
                         LIMIT ?
                         FOR UPDATE SKIP LOCKED)
            RETURNING *""";

    /** A QUEUED task, or nothing when the owner already has a task with its idempotency key. */
    private static final String INSERT = """
            INSERT INTO tasks (id, type, status, owner, owner_name, input, req_cpus, req_memory_mb, req_gpus,
                               req_gpu_memory_mb, req_labels, priority, timeout_seconds, max_attempts,
                               idempotency_key, target_workers, created_at, queued_at, dispatch_at,
                               queue_timeout_seconds, queue_deadline, retry_backoff_seconds,
                               retry_max_backoff_seconds)
            VALUES (?, ?, 'QUEUED', ?, ?, ?::jsonb, ?, ?, ?, ?, ?::text[], ?, ?, ?, ?, ?::text[], ?, ?, ?,
                    ?, ? + ?::integer * interval '1 second', ?, ?)
            ON CONFLICT (owner, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
            RETURNING *""";

    private final JdbcTemplate jdbc;
    private final JsonMapper json;
    private final RowMapper<TaskRow> taskMapper = this::mapTask;

    TaskStore(JdbcTemplate jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    /**
     * Inserts a QUEUED task; empty when the owner already has a task with this idempotency key.
     *
     * @param dispatchAt the claim key ({@link DispatchOrder})
     */
    Optional<TaskRow> insert(UUID id, NewTask t, Instant now, Instant dispatchAt) {
        return first(jdbc.query(INSERT, taskMapper, insertArgs(id, t, now, dispatchAt)));
    }

    private Object[] insertArgs(UUID id, NewTask t, Instant now, Instant dispatchAt) {
        Requirements r = t.requirements();
        return new Object[] {
                id, t.type(), t.owner(), t.ownerName(), json.writeValueAsString(t.input()), r.cpus(), r.memoryMb(),
                r.gpus(), r.gpuMemoryMb(), texts(r.labels()), t.priority(), integer(t.timeoutSeconds()),
                t.maxAttempts(), new SqlParameterValue(Types.VARCHAR, t.idempotencyKey()), texts(t.targetWorkers()),
                ts(now), ts(now), ts(dispatchAt), integer(t.queueTimeoutSeconds()), ts(now),
                integer(t.queueTimeoutSeconds()), integer(t.retryBackoffSeconds()),
                integer(t.retryMaxBackoffSeconds())};
    }

    /**
     * What {@link #insertAndClaim} did.
     *
     * @param inserted as {@link #insert} answers, but ASSIGNED when the claim took it
     * @param claimed  what the claim took, in no order: queued tasks, and the new one
     */
    record InsertedAndClaimed(Optional<TaskRow> inserted, List<TaskRow> claimed) {
    }

    /**
     * {@link #insert} and {@link #claim} without an owner limit, in one statement. The claim chooses among the
     * queued tasks and the new one as a claim after the insert would, and a new task it chooses is inserted ASSIGNED:
     * a task submitted while an agent idles is written once, not inserted and then updated (each row version of a
     * task writes an entry into most of its indexes), in one round trip to the database instead of two. A new task
     * whose idempotency key is taken is not inserted, and its place in the claim stays empty.
     */
    InsertedAndClaimed insertAndClaim(UUID id, NewTask t, Instant now, Instant dispatchAt, AgentOffer offer,
                                      Then then) {
        String sql = """
                WITH v AS (
                    SELECT ?::uuid AS id, ?::text AS type, 'QUEUED'::text AS status, ?::text AS owner,
                           ?::text AS owner_name, ?::jsonb AS input, ?::integer AS req_cpus, ?::bigint AS req_memory_mb,
                           ?::integer AS req_gpus, ?::bigint AS req_gpu_memory_mb, ?::text[] AS req_labels,
                           ?::integer AS priority, ?::integer AS timeout_seconds, ?::integer AS max_attempts,
                           ?::text AS idempotency_key, ?::text[] AS target_workers, ?::timestamptz AS created_at,
                           ?::timestamptz AS queued_at, ?::timestamptz AS dispatch_at,
                           ?::integer AS queue_timeout_seconds,
                           ?::timestamptz + ?::integer * interval '1 second' AS queue_deadline,
                           ?::integer AS retry_backoff_seconds, ?::integer AS retry_max_backoff_seconds,
                           NULL::timestamptz AS run_after),
                queued AS (""" + ClaimSql.matching("tasks") + """
                    ORDER BY dispatch_at
                    LIMIT ?
                    FOR UPDATE SKIP LOCKED),
                claimable AS (
                    SELECT id, dispatch_at FROM queued
                    UNION ALL
                    SELECT id, dispatch_at FROM (""" + ClaimSql.matching("v") + """
                    ) new_task
                    ORDER BY dispatch_at
                    LIMIT ?),
                inserted AS (
                    INSERT INTO tasks (id, type, status, owner, owner_name, input, req_cpus, req_memory_mb, req_gpus,
                                       req_gpu_memory_mb, req_labels, priority, timeout_seconds, max_attempts,
                                       idempotency_key, target_workers, created_at, queued_at, dispatch_at,
                                       queue_timeout_seconds, queue_deadline, retry_backoff_seconds,
                                       retry_max_backoff_seconds, attempt, worker_id, assigned_at, version)
                    SELECT v.id, v.type, CASE WHEN c.id IS NULL THEN 'QUEUED' ELSE 'ASSIGNED' END, v.owner,
                           v.owner_name, v.input, v.req_cpus, v.req_memory_mb, v.req_gpus, v.req_gpu_memory_mb,
                           v.req_labels, v.priority, v.timeout_seconds, v.max_attempts, v.idempotency_key,
                           v.target_workers, v.created_at, v.queued_at, v.dispatch_at, v.queue_timeout_seconds,
                           v.queue_deadline, v.retry_backoff_seconds, v.retry_max_backoff_seconds,
                           CASE WHEN c.id IS NULL THEN 0 ELSE 1 END,
                           CASE WHEN c.id IS NOT NULL THEN ?::text END,
                           CASE WHEN c.id IS NOT NULL THEN ?::timestamptz END,
                           CASE WHEN c.id IS NULL THEN 0 ELSE 1 END
                    FROM v LEFT JOIN claimable c ON c.id = v.id
                    ON CONFLICT (owner, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
                    RETURNING *),
                claimed AS (""" + ClaimSql.CLAIM_UPDATE + """
                    FROM claimable
                    WHERE t.id = claimable.id
                    RETURNING t.*),
                attempts AS (
                    INSERT INTO task_attempts (task_id, attempt, worker_id, status, assigned_at)
                    SELECT id, attempt, worker_id, 'RUNNING', assigned_at FROM claimed
                    UNION ALL
                    SELECT id, attempt, worker_id, 'RUNNING', assigned_at FROM inserted WHERE status = 'ASSIGNED')
                SELECT *, true AS new_task FROM inserted
                UNION ALL
                SELECT *, false FROM claimed""";
        List<Object> args = new ArrayList<>(Arrays.asList(insertArgs(id, t, now, dispatchAt)));
        List<Object> matching = ClaimSql.matchingArgs(offer, now);
        args.addAll(matching);
        args.add(offer.limit());
        args.addAll(matching);
        args.add(offer.limit());
        args.add(offer.workerId());
        args.add(ts(now));
        args.add(offer.workerId());
        args.add(ts(now));
        Optional<TaskRow> inserted = Optional.empty();
        List<TaskRow> claimed = new ArrayList<>();
        // planned as a claim is: the queued tasks read in dispatch order from their index, on a generic plan
        for (Map.Entry<TaskRow, Boolean> row : queryWithQueuePlan(sql + then.sql,
                (rs, n) -> Map.entry(mapTask(rs, n), rs.getBoolean("new_task")), args.toArray())) {
            TaskRow task = row.getKey();
            if (row.getValue()) {
                inserted = Optional.of(task);
            }
            if (task.status() == TaskStatus.ASSIGNED) {
                claimed.add(task);
            }
        }
        return new InsertedAndClaimed(inserted, claimed);
    }

    /**
     * An integer argument that may be null, with its type. A null without one makes the driver describe the statement
     * on the server first, and from then on the driver sends a described statement whose rows it cannot size (this
     * one returns jsonb and text) only after a round trip of its own that flushes what is pending: for a submission,
     * the transaction's BEGIN. Measured: one round trip per task submitted alone.
     */
    private static SqlParameterValue integer(@Nullable Integer value) {
        return new SqlParameterValue(Types.INTEGER, value);
    }

    Optional<TaskRow> find(UUID id) {
        return first(jdbc.query("SELECT * FROM tasks WHERE id = ?", taskMapper, id));
    }

    Optional<TaskStatus> statusOf(UUID id) {
        return first(jdbc.queryForList("SELECT status FROM tasks WHERE id = ?", String.class, id))
                .map(TaskStatus::valueOf);
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

    /**
     * Whether any queued task is past its retry backoff, whoever may run it; tasks other transactions hold count too
     * (a claim skips them, so a true answer may still end in empty claims).
     */
    boolean anyClaimable(Instant now) {
        return Boolean.TRUE.equals(jdbc.queryForObject(ANY_CLAIMABLE, Boolean.class, ts(now)));
    }

    /** The statement of {@link #anyClaimable}; its argument: now. */
    private static final String ANY_CLAIMABLE =
            "SELECT EXISTS (SELECT 1 FROM tasks WHERE status = 'QUEUED' AND (run_after IS NULL OR run_after <= ?))";

    /**
     * Claims up to {@code offer.limit()} queued tasks the agent can run, best first ({@link DispatchOrder}),
     * skipping rows others hold, tasks still in their retry backoff, everything when the worker is drained, and,
     * with {@code maxRunningPerOwner > 0}, tasks of owners who already have that many ASSIGNED or RUNNING tasks.
     * Each claimed task gets its RUNNING attempt row in the same statement.
     *
     * <p>Owner limit: the count and the claim happen in one statement, but two instances claiming at the same
     * moment would each see the other's claims uncommitted and could together exceed the limit. With a limit the
     * caller therefore holds {@link #lockOwnerLimitedClaims()} for the transaction, which serializes claims across
     * instances (each is one short statement); without a limit nothing is serialized.
     */
    List<TaskRow> claim(AgentOffer offer, Instant now, int maxRunningPerOwner, Then then) {
        ClaimSql claim = ClaimSql.of(offer, now, maxRunningPerOwner);
        return queryWithQueuePlan(claim.sql() + then.sql, claim.argArray());
    }

    /**
     * What follows a statement in its transaction. With {@link #COMMIT} the statement carries the transaction's
     * {@code COMMIT}: PostgreSQL commits in the statement's round trip, and the commit the transaction manager asks of
     * the driver afterwards sends nothing (pgjdbc's {@code commit()} does nothing while the server reports no
     * transaction open). One round trip to the database less per transaction, on the path of every task. Only for a
     * transaction's last statement: one after it would run in a driver transaction of its own, which the transaction
     * manager's commit then commits.
     */
    enum Then {
        MORE(""),
        COMMIT(";\nCOMMIT");

        private final String sql;

        Then(String sql) {
            this.sql = sql;
        }
    }

    /**
     * Plans the rest of the transaction without sorts, and with generic plans, so that a statement that takes the
     * first queued tasks in an order reads the partial index kept in that order and stops after its LIMIT, planned
     * once per connection: a claim {@code tasks_queued} in dispatch order, the queue-timeout sweep
     * {@code tasks_queue_deadline}.
     *
     * <p>Without sorts: the statistics of a queue lag behind it: taken while it was empty they promise one queued row,
     * and the planner then reads the rows through any other index on status and sorts them. A queue that filled since
     * (10,000 tasks in two seconds under load) is then read whole: 5-8 ms and 600 buffers per claim, measured, against
     * 0.1 ms, and 28 ms and 10,000 buffers per sweep of a queue of 10,000 tasks without deadlines, against one buffer.
     * Without sorts the ordered index is the only plan left, whatever the statistics say.
     *
     * <p>Generic plans: the driver prepares a claim on the server from its fifth execution, but PostgreSQL went on
     * planning it for each execution's arguments (3,368 plans in 3,368 claims, measured with pg_stat_statements):
     * 0.65-0.77 ms each against 17 indexes, twice the claim's own execution on an empty queue, on the path of every
     * task submitted alone. Without sorts the generic plan is the same ordered index scan. Statements after these in
     * the transaction read by key, where neither setting matters.
     */
    static final String QUEUE_PLAN = "SET LOCAL enable_sort = off; SET LOCAL plan_cache_mode = force_generic_plan";

    /**
     * The rows of {@code sql}, planned as {@link #QUEUE_PLAN} says. The settings travel in the statement's own round
     * trip: the driver sends the statements of one string together and PostgreSQL runs them in order, so the settings
     * are in force when the last is planned. A round trip of its own cost a claim more than the settings' execution (a
     * send and a receive on both sides, 0.1 ms on this machine).
     */
    private List<TaskRow> queryWithQueuePlan(String sql, Object... args) {
        return queryWithQueuePlan(sql, taskMapper, args);
    }

    private <T> List<T> queryWithQueuePlan(String sql, RowMapper<T> mapper, Object... args) {
        return Objects.requireNonNull(jdbc.execute(QUEUE_PLAN + ";\n" + sql,
                (PreparedStatementCallback<List<T>>) statement -> {
                    new ArgumentPreparedStatementSetter(args).setValues(statement);
                    boolean rowsNext = statement.execute();
                    while (!rowsNext) {
                        // the settings' update counts come first
                        if (statement.getUpdateCount() == -1) {
                            throw new IllegalStateException("No rows came back from " + sql);
                        }
                        rowsNext = statement.getMoreResults();
                    }
                    try (ResultSet rows = statement.getResultSet()) {
                        return new RowMapperResultSetExtractor<>(mapper).extractData(rows);
                    }
                }));
    }

    /**
     * Serializes owner-limited claims of all instances until the transaction ends, so that each claim counts the
     * committed claims of the others (a claim is one short statement: the cost is small next to the network).
     */
    void lockOwnerLimitedClaims() {
        jdbc.query("SELECT pg_advisory_xact_lock(?)", rs -> null, OWNER_LIMIT_LOCK);
    }

    /**
     * The end of the current attempt of an active task, to a final status.
     *
     * @param startedAt when the attempt began, if the agent reported it only with the completion; kept only where no
     *                  start was recorded
     */
    record Finish(TaskRow task, TaskStatus status, AttemptStatus attemptStatus, @Nullable String error,
                  @Nullable Instant startedAt, @Nullable JsonNode output) {
    }

    /**
     * Ends the current attempts of active tasks (each to its final status) in one statement. Each row is
     * guarded like {@link #finishAttempt}: a task whose attempt, worker or status changed is left alone and missing
     * from the answer.
     *
     * @return the changed tasks
     */
    List<TaskRow> finishAll(List<Finish> finishes, Instant now) {
        if (finishes.isEmpty()) {
            return List.of();
        }
        // one statement for the tasks and their attempts: an attempt changes only where its task did
        return jdbc.query("""
                WITH f AS (
                    SELECT * FROM unnest(?::uuid[], ?::integer[], ?::text[], ?::text[], ?::text[], ?::text[],
                                         ?::timestamptz[], ?::text[], ?::text[])
                        AS f(id, attempt, worker_id, status, progress, error, started_at, attempt_status, output)),
                changed AS (
                    UPDATE tasks t SET status = f.status, finished_at = ?, progress = f.progress::jsonb,
                                       error = f.error, started_at = coalesce(t.started_at, f.started_at),
                                       version = t.version + 1
                    FROM f
                    WHERE t.id = f.id AND t.attempt = f.attempt AND t.worker_id = f.worker_id
                      AND t.status IN""" + " " + ACTIVE + """
                    RETURNING t.*),
                attempts AS (
                    UPDATE task_attempts a SET status = f.attempt_status, error = f.error, finished_at = ?,
                                               started_at = coalesce(a.started_at, f.started_at),
                                               output = f.output::json
                    FROM f JOIN changed c ON c.id = f.id
                    WHERE a.task_id = f.id AND a.attempt = f.attempt AND a.status = 'RUNNING')
                SELECT * FROM changed""", taskMapper,
                finishes.stream().map(f -> f.task().id()).toArray(UUID[]::new),
                finishes.stream().map(f -> f.task().attempt()).toArray(Integer[]::new),
                finishes.stream().map(f -> f.task().workerId()).toArray(String[]::new),
                finishes.stream().map(f -> f.status().name()).toArray(String[]::new),
                finishes.stream().map(f -> f.task().progress() == null ? null
                        : json.writeValueAsString(f.task().progress().finished(now))).toArray(String[]::new),
                finishes.stream().map(Finish::error).toArray(String[]::new),
                finishes.stream().map(f -> text(f.startedAt())).toArray(String[]::new),
                finishes.stream().map(f -> f.attemptStatus().name()).toArray(String[]::new),
                finishes.stream().map(f -> f.output() == null ? null : json.writeValueAsString(f.output()))
                        .toArray(String[]::new),
                ts(now), ts(now));
    }

    /**
     * How an agent says its attempt ended, for {@link #finishHeld}.
     *
     * @param status        the task's final status, unless the attempt may be retried
     * @param mayRetry      a retryable failure: the task ends only if this was its last attempt
     * @param reportedStart when the agent says the attempt began (microseconds), kept only where no start was
     *                      recorded, and held between the assignment and now
     */
    record HeldFinish(UUID taskId, int attempt, String workerId, TaskStatus status, boolean mayRetry,
                      AttemptStatus attemptStatus, @Nullable String error, @Nullable Instant reportedStart,
                      @Nullable JsonNode output) {
    }

    /**
     * What {@link #finishHeld} did.
     *
     * @param ended  the tasks it ended, as they are now, with their status before
     * @param locked the other tasks, as they are, locked until the transaction ends
     * @param queue  what its look at the queue found, if it was asked to look
     */
    record HeldFinishes(Map<UUID, Ended> ended, Map<UUID, TaskRow> locked, QueueLook queue) {
    }

    /**
     * A task {@link #finishHeld} ended.
     *
     * @param attemptsIfLeaf its attempts, when the one it ended was its first and it has no children: all a task's
     *                       JSON holds besides its row ({@link TaskChanged#attemptsIfLeaf()})
     */
    record Ended(TaskRow task, TaskStatus before, @Nullable List<AttemptRow> attemptsIfLeaf) {
    }

    /**
     * {@link #finishHeld}'s statement. The two lists, the completions and the tasks, are joined once, in {@code held};
     * every later step reaches its rows by index from the one before it, or by hash, so that its cost grows with the
     * number of completions, not with its square. On a generic plan PostgreSQL counts 10 rows for an {@code unnest}
     * and one for a common table expression, and joined two of them by a nested loop that read one whole for each row
     * of the other: for 256 completions, 65,280 rows read and dropped twice, in 59 ms where this statement takes 20
     * (see docs/performance.md, nineteenth round).
     */
    static final String FINISH_HELD = """
                WITH f AS (
                    SELECT * FROM unnest(?::uuid[], ?::integer[], ?::text[], ?::text[], ?::boolean[], ?::text[],
                                         ?::timestamptz[], ?::text[], ?::text[])
                        AS f(id, attempt, worker_id, status, may_retry, error, reported_start, attempt_status, output)),
                held AS MATERIALIZED (
                    SELECT t AS task, f.id, f.status, f.error, f.reported_start, f.attempt_status, f.output,
                           t.attempt = f.attempt AND t.worker_id = f.worker_id AND t.status IN""" + " " + ACTIVE + """
                               AND (NOT f.may_retry OR t.attempt >= t.max_attempts) AS ends
                    FROM tasks t JOIN f ON f.id = t.id ORDER BY t.id FOR UPDATE OF t),
                changed AS (
                    UPDATE tasks t SET status = h.status, finished_at = ?, error = h.error,
                                       started_at = coalesce(t.started_at, CASE WHEN h.reported_start IS NOT NULL
                                           THEN least(greatest(h.reported_start, t.assigned_at), ?) END),
                                       progress = CASE WHEN t.progress #>> '{steps,-1,startedAt}' IS NOT NULL
                                                        AND t.progress #>> '{steps,-1,finishedAt}' IS NULL
                                           THEN jsonb_set(t.progress, '{steps,-1}', (t.progress #> '{steps,-1}')
                                               || jsonb_build_object(
                                                   'finishedAt', to_char(?::timestamptz AT TIME ZONE 'UTC',
                                                                         'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                                                   'durationMs', greatest(0, floor(1000 * extract(epoch FROM
                                                       ?::timestamptz - (t.progress #>> '{steps,-1,startedAt}')
                                                           ::timestamptz)))::bigint))
                                           ELSE t.progress END,
                                       version = t.version + 1
                    FROM held h WHERE t.id = h.id AND h.ends
                    RETURNING t AS task, (h.task).status AS status_before, (h.task).started_at AS started_before,
                              h.error, h.attempt_status, h.output),
                attempts AS (
                    UPDATE task_attempts a SET status = c.attempt_status, error = c.error, finished_at = ?,
                                               started_at = coalesce(a.started_at,
                                                   CASE WHEN c.started_before IS NULL THEN (c.task).started_at END),
                                               output = c.output::json
                    FROM changed c
                    WHERE a.task_id = (c.task).id AND a.attempt = (c.task).attempt AND a.status = 'RUNNING'
                    RETURNING c.task, c.status_before, a.status AS attempt_status, a.assigned_at AS attempt_assigned_at,
                              a.started_at AS attempt_started_at, a.finished_at AS attempt_finished_at,
                              a.error AS attempt_error, a.output AS attempt_output)
                SELECT (e.task).*, e.status_before, true AS ended,
                       (e.task).attempt = 1
                           AND NOT EXISTS (SELECT 1 FROM tasks child WHERE child.parent_id = (e.task).id) AS leaf,
                       e.attempt_status, e.attempt_assigned_at, e.attempt_started_at, e.attempt_finished_at,
                       e.attempt_error, e.attempt_output
                FROM attempts e
                UNION ALL
                SELECT (c.task).*, c.status_before, true, false, NULL, NULL, NULL, NULL, NULL, NULL
                FROM changed c WHERE (c.task).id NOT IN (SELECT (e.task).id FROM attempts e)
                UNION ALL
                SELECT (h.task).*, (h.task).status, false, false, NULL, NULL, NULL, NULL, NULL, NULL
                FROM held h WHERE NOT h.ends""";

    /**
     * Locks the tasks until the transaction ends (in id order: no deadlock between batches) and, in the same
     * statement, ends the attempts that are plainly over: the sender's current attempt of an active task, not a
     * retryable failure with attempts left. A progress step still open is closed at {@code now}, as
     * {@link Progress#finished} closes it. Everything else is only locked, for the caller to decide. One statement
     * instead of a lock and a finish: a round trip less for every completion, on the path of every task.
     *
     * <p>For a task it ended at its first attempt, and that has no children, the statement also returns that attempt:
     * with the row, all of the task's JSON, so that a caller waiting for the task is answered without another read.
     *
     * <p>With {@code lookAtQueue} the statement's round trip also carries {@link #anyClaimable}'s look, made after
     * the finish: the claim that follows then needs no round trip of its own to learn that the queue is empty.
     *
     * <p>With {@link Then#COMMIT} the tasks it did not end are no longer locked when it returns.
     */
    HeldFinishes finishHeld(List<HeldFinish> finishes, Instant now, boolean lookAtQueue, Then then) {
        String sql = FINISH_HELD;
        List<Object> args = new ArrayList<>(List.of(
                finishes.stream().map(HeldFinish::taskId).toArray(UUID[]::new),
                finishes.stream().map(HeldFinish::attempt).toArray(Integer[]::new),
                finishes.stream().map(HeldFinish::workerId).toArray(String[]::new),
                finishes.stream().map(f -> f.status().name()).toArray(String[]::new),
                finishes.stream().map(HeldFinish::mayRetry).toArray(Boolean[]::new),
                finishes.stream().map(HeldFinish::error).toArray(String[]::new),
                finishes.stream().map(f -> text(f.reportedStart())).toArray(String[]::new),
                finishes.stream().map(f -> f.attemptStatus().name()).toArray(String[]::new),
                finishes.stream().map(f -> f.output() == null ? null : json.writeValueAsString(f.output()))
                        .toArray(String[]::new),
                ts(now), ts(now), ts(now), ts(now), ts(now)));
        if (lookAtQueue) {
            sql += ";\n" + ANY_CLAIMABLE;
            args.add(ts(now));
        }
        String statements = sql + then.sql;
        return Objects.requireNonNull(jdbc.execute(statements, (PreparedStatementCallback<HeldFinishes>) statement -> {
            new ArgumentPreparedStatementSetter(args.toArray()).setValues(statement);
            if (!statement.execute()) {
                throw new IllegalStateException("No rows came back from the finish");
            }
            Map<UUID, Ended> ended = new HashMap<>();
            Map<UUID, TaskRow> locked = new HashMap<>();
            try (ResultSet rows = statement.getResultSet()) {
                while (rows.next()) {
                    TaskRow task = mapTask(rows, 0);
                    if (rows.getBoolean("ended")) {
                        ended.put(task.id(), new Ended(task, TaskStatus.valueOf(rows.getString("status_before")),
                                rows.getBoolean("leaf") ? endedAttempt(rows, task) : null));
                    } else {
                        locked.put(task.id(), task);
                    }
                }
            }
            QueueLook queue = QueueLook.UNKNOWN;
            if (lookAtQueue) {
                if (!statement.getMoreResults()) {
                    throw new IllegalStateException("No answer came back from the look at the queue");
                }
                try (ResultSet rows = statement.getResultSet()) {
                    rows.next();
                    queue = rows.getBoolean(1) ? QueueLook.CLAIMABLE : QueueLook.EMPTY;
                }
            }
            return new HeldFinishes(ended, locked, queue);
        }));
    }

    /** The attempt {@link #finishHeld} ended, from its {@code attempt_} columns, as the only attempt of the task. */
    private @Nullable List<AttemptRow> endedAttempt(ResultSet rs, TaskRow task) throws SQLException {
        String status = rs.getString("attempt_status");
        if (status == null) {
            return null;
        }
        String output = rs.getString("attempt_output");
        return List.of(new AttemptRow(task.id(), task.attempt(), Objects.requireNonNull(task.workerId()),
                AttemptStatus.valueOf(status), requiredInstant(rs, "attempt_assigned_at"),
                instant(rs, "attempt_started_at"), instant(rs, "attempt_finished_at"), rs.getString("attempt_error"),
                output == null ? null : json.readTree(output)));
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
        if (next == TaskStatus.QUEUED) {
            throw new IllegalArgumentException("A requeue needs its backoff: use requeue");
        }
        Progress progress = t.progress() == null ? null : t.progress().finished(now);
        return first(jdbc.query("""
                UPDATE tasks SET status = ?, finished_at = ?, progress = ?::jsonb, error = ?, version = version + 1
                WHERE id = ? AND attempt = ? AND worker_id = ? AND status IN""" + " " + ACTIVE + " RETURNING *",
                taskMapper, next.name(), ts(now), progress == null ? null : json.writeValueAsString(progress),
                error, t.id(), t.attempt(), t.workerId()));
    }

    /**
     * Ends the current attempt of an active task and puts the task back in the queue, runnable from
     * {@code runnableAt} (null: at once), with the claim key {@code dispatchAt}. Its queue timeout starts again
     * when it is runnable.
     */
    Optional<TaskRow> requeue(TaskRow t, @Nullable String error, Instant now, @Nullable Instant runnableAt,
                              Instant dispatchAt) {
        Instant from = runnableAt == null ? now : runnableAt;
        return first(jdbc.query("""
                UPDATE tasks SET status = 'QUEUED', worker_id = NULL, assigned_at = NULL, started_at = NULL,
                                 queued_at = ?, run_after = ?, dispatch_at = ?,
                                 queue_deadline = ? + queue_timeout_seconds * interval '1 second',
                                 waiting_reason = NULL, progress = NULL, error = ?, version = version + 1
                WHERE id = ? AND attempt = ? AND worker_id = ? AND status IN""" + " " + ACTIVE + " RETURNING *",
                taskMapper, ts(now), ts(runnableAt), ts(dispatchAt), ts(from), error, t.id(), t.attempt(),
                t.workerId()));
    }

    /**
     * Fails up to {@code limit} queued tasks whose queue deadline has passed, with
     * {@code queue timeout: waited N s} and the waiting reason, if any; rows others hold are skipped. The locking
     * subquery re-checks its condition on the newest version of each row it locks, so the update needs no condition
     * of its own: one that repeated {@code status = 'QUEUED'} let the planner join the whole queue against the
     * subquery's rows (24 ms per sweep with 8,000 queued tasks, against 6 ms).
     */
    List<TaskRow> failQueueTimeouts(Instant now, int limit) {
        return queryWithQueuePlan(QUEUE_TIMEOUTS, ts(now), ts(now), limit);
    }

    /**
     * Active tasks with a run-time limit that began longer than limit + {@code grace} ago, locked; rows others hold
     * are skipped. Active tasks are bounded by the fleet's slots, so this reads few rows.
     */
    List<TaskRow> lockOverdue(Instant now, Duration grace, int limit) {
        return jdbc.query("""
                SELECT * FROM tasks
                WHERE status IN""" + " " + ACTIVE + """
                  AND timeout_seconds IS NOT NULL
                  AND coalesce(started_at, assigned_at) + timeout_seconds * interval '1 second'
                      + ? * interval '1 millisecond' <= ?
                ORDER BY assigned_at
                LIMIT ?
                FOR UPDATE SKIP LOCKED""", taskMapper, grace.toMillis(), ts(now), limit);
    }

    /**
     * The next {@code limit} queued tasks after {@code afterId} (by id), for the waiting check; the check goes round
     * the queue page by page.
     */
    List<TaskRow> queuedAfter(@Nullable UUID afterId, int limit) {
        return afterId == null
                ? jdbc.query("SELECT * FROM tasks WHERE status = 'QUEUED' ORDER BY id LIMIT ?", taskMapper, limit)
                : jdbc.query("SELECT * FROM tasks WHERE status = 'QUEUED' AND id > ? ORDER BY id LIMIT ?",
                        taskMapper, afterId, limit);
    }

    /**
     * Sets the waiting reasons of queued tasks in one statement; a task that left the queue keeps none. One statement
     * for the whole page, not one per task: the planner reaches a queued task by id through the queue's partial index
     * whenever its statistics still see a short queue, so a statement per task read the whole queue each time (3-13
     * ms per task with a backlog of 4,000-12,000, a check of 2,000 tasks taking seconds of PostgreSQL's CPU). Here
     * the queue is read at most once per page.
     */
    void setWaitingReasons(Map<UUID, @Nullable String> reasons) {
        List<Map.Entry<UUID, @Nullable String>> sorted = reasons.entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .toList();
        jdbc.update("""
                UPDATE tasks t SET waiting_reason = r.reason
                FROM unnest(?::uuid[], ?::text[]) AS r(id, reason)
                WHERE t.id = r.id AND t.status = 'QUEUED' AND t.waiting_reason IS DISTINCT FROM r.reason""",
                sorted.stream().map(Map.Entry::getKey).toArray(UUID[]::new),
                sorted.stream().map(Map.Entry::getValue).toArray(String[]::new));
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
        if (taskIds.size() == 1) {
            // the form PostgreSQL plans once: "= ANY" was planned again at every call, 0.1 ms against our indexes
            return jdbc.query(ATTEMPTS_OF_ONE, this::mapAttempt, taskIds.iterator().next());
        }
        return jdbc.query("SELECT * FROM task_attempts WHERE task_id = ANY (?::uuid[]) ORDER BY task_id, attempt",
                this::mapAttempt, (Object) taskIds.toArray(UUID[]::new));
    }

    /** Records how an attempt ended; {@code onlyIf} is the status it must still have. */
    boolean finishAttemptRow(UUID taskId, int attempt, AttemptStatus status, @Nullable String error, Instant now,
                             AttemptStatus onlyIf) {
        return finishAttemptRow(taskId, attempt, status, error, now, onlyIf, null);
    }

    /**
     * Records how an attempt ended; {@code onlyIf} is the status it must still have.
     *
     * @param startedAt when it began, if reported only with its completion; kept only where no start was recorded
     */
    boolean finishAttemptRow(UUID taskId, int attempt, AttemptStatus status, @Nullable String error, Instant now,
                             AttemptStatus onlyIf, @Nullable Instant startedAt) {
        return jdbc.update("""
                UPDATE task_attempts SET status = ?, error = ?, finished_at = ?, started_at = coalesce(started_at, ?)
                WHERE task_id = ? AND attempt = ? AND status = ?""",
                status.name(), error, ts(now), ts(startedAt), taskId, attempt, onlyIf.name()) > 0;
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
                rs.getLong("version"), instant(rs, "run_after"), rs.getObject("queue_timeout_seconds", Integer.class),
                rs.getObject("retry_backoff_seconds", Integer.class),
                rs.getObject("retry_max_backoff_seconds", Integer.class), rs.getString("waiting_reason"),
                rs.getObject("parent_id", UUID.class));
    }

    /** Maps a whole {@code tasks} row, for other stores of this package. */
    RowMapper<TaskRow> taskMapper() {
        return taskMapper;
    }

    AttemptRow mapAttempt(ResultSet rs, int rowNum) throws SQLException {
        String output = rs.getString("output");
        return new AttemptRow(rs.getObject("task_id", UUID.class), rs.getInt("attempt"), rs.getString("worker_id"),
                AttemptStatus.valueOf(rs.getString("status")), requiredInstant(rs, "assigned_at"),
                instant(rs, "started_at"), instant(rs, "finished_at"), rs.getString("error"),
                output == null ? null : json.readTree(output));
    }

    private static @Nullable String text(@Nullable Instant instant) {
        return instant == null ? null : instant.toString();
    }

    private static <T> Optional<T> first(List<T> rows) {
        return rows.stream().findFirst();
    }

    static String[] texts(List<String> values) {
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
