package dev.taskmesh.task.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskmesh.contract.WireJson;
import dev.taskmesh.testsupport.TestPostgres;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/** The statements that go over the queue, on a database of their own migrated by the service's migrations. */
class QueueStatementsIT {

    private static JdbcTemplate jdbc;
    private static TaskStore store;

    @BeforeAll
    static void migrate() {
        TestPostgres.Database db = TestPostgres.newDatabase();
        Flyway.configure().dataSource(db.url(), db.username(), db.password()).schemas("tasks")
                .locations("classpath:db/migration/tasks").load().migrate();
        var dataSource = new DriverManagerDataSource(db.url(), db.username(), db.password());
        dataSource.setSchema("tasks");
        jdbc = new JdbcTemplate(dataSource);
        store = new TaskStore(jdbc, WireJson.mapper());
    }

    private static UUID task(String status) {
        UUID id = UUID.randomUUID();
        jdbc.update("""
                INSERT INTO tasks (id, type, status, owner, owner_name, input, max_attempts, attempt, created_at,
                                   queued_at, dispatch_at)
                VALUES (?, 'noop', ?, 'u', 'u', '{}'::jsonb, 3, 0, now(), now(), now())""", id, status);
        return id;
    }

    private static @Nullable String reason(UUID id) {
        return jdbc.queryForObject("SELECT waiting_reason FROM tasks WHERE id = ?", String.class, id);
    }

    @Test
    void setsTheWaitingReasonsOfQueuedTasksOnlyAndClearsThem() {
        UUID first = task("QUEUED");
        UUID second = task("QUEUED");
        UUID finished = task("SUCCEEDED");
        Map<UUID, @Nullable String> reasons = new HashMap<>();
        reasons.put(first, "waiting: no online worker has 2 GPUs");
        reasons.put(second, "waiting: no online worker runs type noop");
        reasons.put(finished, "waiting: never");

        store.setWaitingReasons(reasons);

        assertThat(reason(first)).isEqualTo("waiting: no online worker has 2 GPUs");
        assertThat(reason(second)).isEqualTo("waiting: no online worker runs type noop");
        assertThat(reason(finished)).isNull();

        Map<UUID, @Nullable String> cleared = new HashMap<>();
        cleared.put(first, null);
        store.setWaitingReasons(cleared);

        assertThat(reason(first)).isNull();
        assertThat(reason(second)).isEqualTo("waiting: no online worker runs type noop");
    }

    @Test
    void aQueueIsClaimableWhenATaskInItIsPastItsBackoff() {
        jdbc.update("DELETE FROM tasks");
        Instant now = Instant.now();
        task("SUCCEEDED");
        assertThat(store.anyClaimable(now)).isFalse();

        UUID retrying = task("QUEUED");
        jdbc.update("UPDATE tasks SET run_after = ? WHERE id = ?", TaskStore.ts(now.plusSeconds(30)), retrying);
        assertThat(store.anyClaimable(now)).isFalse();
        assertThat(store.anyClaimable(now.plusSeconds(31))).isTrue();

        task("QUEUED");
        assertThat(store.anyClaimable(now)).isTrue();
    }

    @Test
    void tasksAreAnalyzedAfterAFewThousandChangesHoweverManyRowsTheTableHolds() {
        // a backlog must reach the planner's statistics before it is a tenth of all tasks ever run (V6)
        assertThat(taskTableOptions()).contains("autovacuum_analyze_scale_factor=0",
                "autovacuum_analyze_threshold=5000");
    }

    @Test
    void tasksAreVacuumedAfterTenThousandDeadRowsHoweverManyRowsTheTableHolds() {
        // claims read past the queue index's entries of claimed tasks until a vacuum removes them (V7)
        assertThat(taskTableOptions()).contains("autovacuum_vacuum_scale_factor=0",
                "autovacuum_vacuum_threshold=10000");
    }

    private static String taskTableOptions() {
        return jdbc.queryForObject(
                "SELECT array_to_string(reloptions, ',') FROM pg_class WHERE oid = 'tasks.tasks'::regclass",
                String.class);
    }
}
