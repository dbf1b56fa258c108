package dev.taskmesh.task.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskmesh.testsupport.TestPostgres;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The finish of a batch of completions reads each step's rows once, on a generic plan as on a custom one: its cost
 * grows with the batch, not with its square. On a database of its own with 20,000 finished tasks and 256 running ones,
 * vacuumed and analyzed, the finish of all 256 is executed with EXPLAIN ANALYZE in a transaction rolled back after.
 * The plan's row counts are asserted, not its time.
 */
class FinishPlanIT {

    private static final int RUNNING = 256;
    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    private static final Pattern CTE_SCAN_LOOPS =
            Pattern.compile("CTE Scan on \\S+( \\S+)? \\(actual rows=\\d+ loops=(\\d+)\\)");

    private static JdbcTemplate jdbc;
    private static TransactionTemplate tx;
    private static List<UUID> running;

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
        insert(20_000, "SUCCEEDED");
        insert(RUNNING, "RUNNING");
        jdbc.update("""
                INSERT INTO task_attempts (task_id, attempt, worker_id, status, assigned_at, started_at)
                SELECT id, attempt, worker_id, 'RUNNING', assigned_at, started_at FROM tasks
                WHERE status = 'RUNNING'""");
        jdbc.execute("VACUUM ANALYZE tasks");
        jdbc.execute("VACUUM ANALYZE task_attempts");
        running = jdbc.queryForList("SELECT id FROM tasks WHERE status = 'RUNNING'", UUID.class);
    }

    private static void insert(int count, String status) {
        jdbc.update("""
                INSERT INTO tasks (id, type, status, owner, owner_name, input, max_attempts, attempt, worker_id,
                                   created_at, queued_at, dispatch_at, assigned_at, started_at, finished_at)
                SELECT gen_random_uuid(), 'noop', ?, 'owner-' || (n % 7), 'Owner', '{}'::jsonb, 3, 1, 'worker-1',
                       c.at, c.at, c.at, c.at, c.at, CASE WHEN ? = 'SUCCEEDED' THEN c.at END
                FROM generate_series(0, ? - 1) AS n,
                     LATERAL (SELECT ?::timestamptz - n * interval '1 millisecond' AS at) AS c""",
                status, status, count, TaskStore.ts(NOW));
    }

    @ParameterizedTest
    @ValueSource(strings = {"force_generic_plan", "force_custom_plan"})
    void readsEachStepsRowsOnce(String planCacheMode) {
        String plan = tx.execute(status -> {
            jdbc.execute("SET LOCAL plan_cache_mode = " + planCacheMode);
            int[] n = {0};
            String numbered = Pattern.compile("\\?").matcher(TaskStore.FINISH_HELD).replaceAll(m -> "\\$" + ++n[0]);
            jdbc.execute("""
                    PREPARE finish (uuid[], integer[], text[], text[], boolean[], text[], timestamptz[], text[], text[],
                                    timestamptz, timestamptz, timestamptz, timestamptz, timestamptz) AS
                    """ + numbered);
            String at = "'" + TaskStore.ts(NOW.plusSeconds(1)) + "'";
            String explained = String.join("\n", jdbc.queryForList(
                    "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) EXECUTE finish (" + String.join(", ",
                            array(running.stream().map(UUID::toString).toList()), array("1"), array("worker-1"),
                            array("SUCCEEDED"), array("false"), array("NULL"), array("NULL"), array("SUCCEEDED"),
                            array("NULL"), at, at, at, at, at) + ")", String.class));
            jdbc.execute("DEALLOCATE finish");
            assertThat(jdbc.queryForObject("SELECT count(*) FROM tasks WHERE status = 'SUCCEEDED' AND finished_at = ?",
                    Long.class, TaskStore.ts(NOW.plusSeconds(1)))).as("tasks finished").isEqualTo(RUNNING);
            assertThat(jdbc.queryForObject("SELECT count(*) FROM task_attempts WHERE status = 'SUCCEEDED'",
                    Long.class)).as("attempts finished").isEqualTo(RUNNING);
            status.setRollbackOnly();
            return explained;
        });
        assertThat(plan).startsWith("Append (actual rows=" + RUNNING + " ")
                .doesNotContain("Rows Removed by Join Filter");
        Matcher scans = CTE_SCAN_LOOPS.matcher(plan);
        int count = 0;
        while (scans.find()) {
            count++;
            assertThat(scans.group(2)).as("loops of %s", scans.group()).isEqualTo("1");
        }
        assertThat(count).as("CTE scans in\n%s", plan).isGreaterThanOrEqualTo(4);
    }

    /** An array literal of {@link #RUNNING} elements: the given ones, or one repeated. */
    private static String array(List<String> elements) {
        return "'{" + String.join(",", elements) + "}'";
    }

    private static String array(String element) {
        return array(Collections.nCopies(RUNNING, element));
    }
}
