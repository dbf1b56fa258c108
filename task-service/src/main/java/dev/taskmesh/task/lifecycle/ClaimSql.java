package dev.taskmesh.task.lifecycle;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The statement of a claim ({@link TaskStore#claim}): the queued tasks an agent can run, best first, locked, assigned
 * and given their RUNNING attempt rows, in one statement.
 *
 * @param sql  the statement, with {@code ?} placeholders
 * @param args its arguments, in order
 */
record ClaimSql(String sql, List<Object> args) {

    ClaimSql {
        args = List.copyOf(args);
    }

    Object[] argArray() {
        return args.toArray();
    }

    /** Up to {@code offer.limit()} tasks; with {@code maxRunningPerOwner > 0}, none beyond an owner's limit. */
    static ClaimSql of(AgentOffer offer, Instant now, int maxRunningPerOwner) {
        // a locking CTE runs exactly once, so the LIMIT holds however the planner joins it to the update
        String matching = matching("tasks");
        List<Object> args = new ArrayList<>(matchingArgs(offer, now));
        String claimable;
        if (maxRunningPerOwner <= 0) {
            claimable = "WITH claimable AS (" + matching + """
                    ORDER BY dispatch_at
                    LIMIT ?
                    FOR UPDATE SKIP LOCKED)
                    """;
            args.add(offer.limit());
        } else {
            // Owners at their limit are left out before the LIMIT; the candidates of one owner are then cut to
            // what the owner may still start. Active tasks are bounded by the fleet's slots, so counting them
            // per claim is cheap (index tasks_active_owner).
            claimable = """
                    WITH active AS (
                        SELECT owner, count(*) AS n FROM tasks
                        WHERE status IN ('ASSIGNED', 'RUNNING') AND worker_id IS NOT NULL
                        GROUP BY owner),
                    candidates AS (""" + matching + """
                          AND owner NOT IN (SELECT owner FROM active WHERE n >= ?)
                        ORDER BY dispatch_at
                        LIMIT ?
                        FOR UPDATE SKIP LOCKED),
                    claimable AS (
                        SELECT ranked.id FROM (
                            SELECT c.id, row_number() OVER (PARTITION BY c.owner ORDER BY c.dispatch_at)
                                         + coalesce(a.n, 0) AS n
                            FROM candidates c LEFT JOIN active a ON a.owner = c.owner) ranked
                        WHERE ranked.n <= ?)
                    """;
            args.add(maxRunningPerOwner);
            args.add(offer.limit());
            args.add(maxRunningPerOwner);
        }
        args.add(offer.workerId());
        args.add(TaskStore.ts(now));
        // the attempts are inserted by the same statement: one round trip to the database less per claim
        return new ClaimSql(claimable + ", claimed AS (" + CLAIM_UPDATE + """
                    FROM claimable
                    WHERE t.id = claimable.id
                    RETURNING t.*),
                attempts AS (
                    INSERT INTO task_attempts (task_id, attempt, worker_id, status, assigned_at)
                    SELECT id, attempt, worker_id, 'RUNNING', assigned_at FROM claimed)
                SELECT * FROM claimed""", args);
    }

    /** What a claim sets on each task it takes; its arguments: the worker, the time of the claim. */
    static final String CLAIM_UPDATE = """
            UPDATE tasks t SET status = 'ASSIGNED', attempt = t.attempt + 1, worker_id = ?, assigned_at = ?,
                               started_at = NULL, finished_at = NULL, progress = NULL, error = NULL,
                               waiting_reason = NULL, version = t.version + 1
            """;

    /**
     * The queued tasks of {@code from} (the table, or a row with its columns) that the offering agent can run now,
     * in no order; its arguments are {@link #matchingArgs}.
     */
    static String matching(String from) {
        return """
                    SELECT id, owner, dispatch_at FROM\s""" + from + """

                    WHERE status = 'QUEUED'
                      AND (run_after IS NULL OR run_after <= ?)
                      AND type = ANY (?::text[])
                      AND req_cpus <= ? AND req_memory_mb <= ?
                      AND req_labels <@ ?::text[]
                      AND (cardinality(target_workers) = 0 OR ? = ANY (target_workers))
                      AND req_gpus <= (SELECT count(*) FROM unnest(?::bigint[]) AS gpu(memory_mb)
                                       WHERE gpu.memory_mb >= req_gpu_memory_mb)
                      AND NOT EXISTS (SELECT 1 FROM worker_drains d WHERE d.worker_id = ?)
                """;
    }

    static List<Object> matchingArgs(AgentOffer offer, Instant now) {
        return List.of(TaskStore.ts(now), TaskStore.texts(offer.taskTypes()), offer.cpus(), offer.memoryMb(),
                TaskStore.texts(offer.labels()), offer.workerId(), offer.gpuMemoryMb().toArray(Long[]::new),
                offer.workerId());
    }
}
