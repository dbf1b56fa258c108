package dev.taskmesh.task.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskmesh.contract.WireJson;
import dev.taskmesh.contract.task.TaskStatus;
import dev.taskmesh.testsupport.TestPostgres;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * A claim reads the queue in dispatch order and the queue-timeout sweep reads only the tasks with a queue deadline,
 * each stopping after its LIMIT, even when the statistics were taken while the queue was empty and it filled since
 * (what a burst of submissions does between two analyzes): on a database of its own with 50,000 tasks that went
 * through the queue and finished, vacuumed and analyzed, then 5,000 queued ones without deadlines. The plan is
 * asserted, not the time.
 */
class QueuePlanIT {

    private static final int FINISHED = 50_000;
    private static final int QUEUED = 5_000;
    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    private static final AgentOffer OFFER = new AgentOffer("worker-1", List.of("noop", "command"), 4, 8192, List.of(),
            List.of(), 12);

    private static JdbcTemplate jdbc;
    private static TaskStore store;
    private static TransactionTemplate tx;

    @BeforeAll
    static void seed() {
        TestPostgres.Database db = TestPostgres.newDatabase();
        Flyway.configure().dataSource(db.url(), db.username(), db.password()).schemas("tasks")
                .locations("classpath:db/migration/tasks").load().migrate();
        // one connection: SET LOCAL and the statements after it must share the transaction
        var dataSource = new SingleConnectionDataSource(db.url(), db.username(), db.password(), true);
        dataSource.setSchema("tasks");
        jdbc = new JdbcTemplate(dataSource);
        tx = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        // a history: every task passed through the queue, ran and finished, then the vacuum and the analyze; dispatch
        // times shuffled against the heap's order, as updates leave them
        insert(FINISHED, "QUEUED", 7919);
        jdbc.update("UPDATE tasks SET status = 'SUCCEEDED', finished_at = created_at");
        jdbc.execute("VACUUM ANALYZE tasks");
        // queued after the analyze
        insert(QUEUED, "QUEUED", 7919);
        store = new TaskStore(jdbc, WireJson.mapper());
    }

    private static void insert(int count, String status, int shuffle) {
        jdbc.update("""
                INSERT INTO tasks (id, type, status, owner, owner_name, input, max_attempts, attempt, created_at,
                                   queued_at, dispatch_at, finished_at)
                SELECT gen_random_uuid(), 'noop', ?, 'owner-' || (n % 7), 'Owner', '{}'::jsonb, 3, 0, c.at, c.at,
                       ?::timestamptz - ((n * ?) % ?) * interval '1 millisecond', NULL
                FROM generate_series(0, ? - 1) AS n,
                     LATERAL (SELECT ?::timestamptz - n * interval '1 millisecond' AS at) AS c""",
                status, TaskStore.ts(NOW), shuffle, count, count, TaskStore.ts(NOW));
    }

    /**
     * The plan of a statement prepared on the server, with {@link TaskStore#QUEUE_PLAN}'s {@code enable_sort = off} in
     * force: {@code custom}, planned for the arguments, or {@code generic}, for any arguments, as {@code QUEUE_PLAN}
     * has the claim and the sweep run; both must read the ordered index.
     *
     * @param types the parameters' types, as PREPARE takes them; empty to let the database infer them
     */
    private static String preparedPlan(String sql, String types, String planCacheMode, Object... args) {
        int[] n = {0};
        String numbered = Pattern.compile("\\?").matcher(sql).replaceAll(m -> "\\$" + ++n[0]);
        String values = Arrays.stream(args).map(QueuePlanIT::literal).collect(Collectors.joining(", "));
        return tx.execute(status -> {
            jdbc.execute(TaskStore.QUEUE_PLAN);
            jdbc.execute("SET LOCAL plan_cache_mode = " + planCacheMode);
            jdbc.execute("PREPARE planned " + types + " AS " + numbered);
            String plan = String.join("\n", jdbc.queryForList("EXPLAIN EXECUTE planned (" + values + ")",
                    String.class));
            jdbc.execute("DEALLOCATE planned");
            status.setRollbackOnly();
            return plan;
        });
    }

    private static String literal(Object arg) {
        return switch (arg) {
            case Number number -> number.toString();
            case Object[] array -> "'{" + Arrays.stream(array).map(String::valueOf).collect(Collectors.joining(","))
                    + "}'";
            default -> "'" + arg + "'";
        };
    }

    private static String claimPlan(int maxRunningPerOwner, String planCacheMode) {
        ClaimSql claim = ClaimSql.of(OFFER, NOW, maxRunningPerOwner);
        return preparedPlan(claim.sql(), "", planCacheMode, claim.argArray());
    }

    @Test
    void theStatisticsKnowNoQueuedTask() {
        List<String> common = jdbc.queryForList("""
                SELECT unnest(most_common_vals::text::text[]) FROM pg_stats
                WHERE schemaname = 'tasks' AND tablename = 'tasks' AND attname = 'status'""", String.class);
        assertThat(common).as("the trap this test sets").containsExactly("SUCCEEDED");
    }

    @ParameterizedTest
    @ValueSource(strings = {"force_custom_plan", "force_generic_plan"})
    void claimsThroughTheQueueIndexInDispatchOrder(String planCacheMode) {
        String plan = claimPlan(0, planCacheMode);
        assertThat(plan).contains("tasks_queued").doesNotContain("Sort").doesNotContain("Seq Scan");
    }

    @ParameterizedTest
    @ValueSource(strings = {"force_custom_plan", "force_generic_plan"})
    void claimsUnderAnOwnerLimitThroughTheQueueIndex(String planCacheMode) {
        String plan = claimPlan(2, planCacheMode);
        String candidates = plan.substring(plan.indexOf("CTE candidates"), plan.indexOf("CTE claimed"));
        assertThat(candidates).contains("tasks_queued").doesNotContain("Sort").doesNotContain("Seq Scan");
    }

    @Test
    void claimsTheTasksDueFirst() {
        List<String> settingsAfterClaim = new ArrayList<>();
        List<TaskRow> claimed = tx.execute(status -> {
            List<TaskRow> rows = store.claim(OFFER, NOW, 0, TaskStore.Then.MORE);
            settingsAfterClaim.add(jdbc.queryForObject("SHOW enable_sort", String.class));
            settingsAfterClaim.add(jdbc.queryForObject("SHOW plan_cache_mode", String.class));
            status.setRollbackOnly();
            return rows;
        });
        // the settings travel with the claim's statement, in the same round trip, and hold for its transaction
        assertThat(settingsAfterClaim).containsExactly("off", "force_generic_plan");
        assertThat(jdbc.queryForObject("SHOW enable_sort", String.class)).isEqualTo("on");
        assertThat(jdbc.queryForObject("SHOW plan_cache_mode", String.class)).isEqualTo("auto");
        List<UUID> dueFirst = jdbc.queryForList(
                "SELECT id FROM tasks WHERE status = 'QUEUED' ORDER BY dispatch_at LIMIT ?", UUID.class, OFFER.limit());
        assertThat(claimed).extracting(TaskRow::id).containsExactlyInAnyOrderElementsOf(dueFirst);
    }

    @ParameterizedTest
    @ValueSource(strings = {"force_custom_plan", "force_generic_plan"})
    void sweepsQueueTimeoutsThroughTheDeadlineIndexOnly(String planCacheMode) {
        String plan = preparedPlan(TaskStore.QUEUE_TIMEOUTS, "(timestamptz, timestamptz, integer)", planCacheMode,
                TaskStore.ts(NOW), TaskStore.ts(NOW), 500);
        assertThat(plan).contains("tasks_queue_deadline").doesNotContain("tasks_queued").doesNotContain("Sort")
                .doesNotContain("Seq Scan");
    }

    @Test
    void sweepsTheTasksPastTheirQueueDeadline() {
        List<UUID> late = jdbc.queryForList("""
                UPDATE tasks SET queue_timeout_seconds = 60, queue_deadline = ?::timestamptz - interval '1 second'
                WHERE id IN (SELECT id FROM tasks WHERE status = 'QUEUED' ORDER BY created_at LIMIT 3)
                RETURNING id""", UUID.class, TaskStore.ts(NOW));
        jdbc.update("""
                UPDATE tasks SET queue_timeout_seconds = 60, queue_deadline = ?::timestamptz + interval '1 minute'
                WHERE id IN (SELECT id FROM tasks WHERE status = 'QUEUED' ORDER BY created_at DESC LIMIT 3)""",
                TaskStore.ts(NOW));
        List<TaskRow> failed = tx.execute(status -> {
            List<TaskRow> rows = store.failQueueTimeouts(NOW, 500);
            status.setRollbackOnly();
            return rows;
        });
        jdbc.update("UPDATE tasks SET queue_timeout_seconds = NULL, queue_deadline = NULL WHERE status = 'QUEUED'");
        assertThat(failed).extracting(TaskRow::id).containsExactlyInAnyOrderElementsOf(late);
        assertThat(failed).allSatisfy(task -> {
            assertThat(task.status()).isEqualTo(TaskStatus.FAILED);
            assertThat(task.error()).isEqualTo("queue timeout: waited 60 s");
        });
    }
}
