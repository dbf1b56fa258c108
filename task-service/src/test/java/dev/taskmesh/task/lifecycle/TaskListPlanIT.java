package dev.taskmesh.task.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskmesh.contract.WireJson;
import dev.taskmesh.contract.task.TaskStatus;
import dev.taskmesh.testsupport.TestPostgres;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/**
 * Task listings over 100,000 tasks, on a database of their own migrated by the service's migrations: each filtered
 * page is read through an index (the plan is asserted, not the time), keyset pages walk the list without gaps or
 * repeats, and totals above {@link TaskQueries#EXACT_TOTAL_LIMIT} are estimates.
 */
class TaskListPlanIT {

    private static final int TASKS = 100_000;
    private static final int OWNERS = 50;
    /** Newest task's creation time; task {@code n} was created {@code n} seconds before. */
    private static final Instant NEWEST = Instant.parse("2026-03-01T12:00:00Z");

    private static JdbcTemplate jdbc;
    private static TaskStore store;
    private static TaskQueries queries;

    @BeforeAll
    static void seed() {
        TestPostgres.Database db = TestPostgres.newDatabase();
        Flyway.configure().dataSource(db.url(), db.username(), db.password()).schemas("tasks")
                .locations("classpath:db/migration/tasks").load().migrate();
        var dataSource = new DriverManagerDataSource(db.url(), db.username(), db.password());
        dataSource.setSchema("tasks");
        jdbc = new JdbcTemplate(dataSource);
        // one statement: 50 owners, 20 types, statuses mostly SUCCEEDED, one task per second going back in time
        jdbc.update("""
                INSERT INTO tasks (id, type, status, owner, owner_name, input, max_attempts, attempt, created_at,
                                   queued_at, dispatch_at, finished_at)
                SELECT gen_random_uuid(), 'type-' || (n % 20), s.status, 'owner-' || (n % ?), 'Owner ' || (n % ?),
                       '{}'::jsonb, 3, 1, c.at, c.at, c.at, CASE WHEN s.status IN ('SUCCEEDED', 'FAILED') THEN c.at END
                FROM generate_series(0, ? - 1) AS n,
                     LATERAL (SELECT ?::timestamptz - n * interval '1 second' AS at) AS c,
                     LATERAL (SELECT CASE WHEN n % 10 = 3 THEN 'FAILED' WHEN n % 10 = 7 THEN 'QUEUED'
                                          WHEN n % 100 = 9 THEN 'RUNNING' ELSE 'SUCCEEDED' END AS status) AS s""",
                OWNERS, OWNERS, TASKS, TaskStore.ts(NEWEST));
        jdbc.execute("ANALYZE tasks");
        store = new TaskStore(jdbc, WireJson.mapper());
        queries = new TaskQueries(store, new FanOutStore(jdbc, WireJson.mapper(), store,
                new LifecycleProperties(Duration.ofSeconds(2), Duration.ofMinutes(5), null, Duration.ofSeconds(60), 0,
                        Duration.ofSeconds(5), 2000)));
    }

    private static String plan(TaskFilter filter) {
        TaskListSql page = TaskListSql.page(filter, filter.size() + 1);
        List<String> lines = jdbc.queryForList("EXPLAIN " + page.sql(), String.class, page.argArray());
        return String.join("\n", lines);
    }

    private static TaskFilter filter(TaskStatus status, String type, String owner) {
        return new TaskFilter(status, type, owner, 0, 20);
    }

    @Test
    void readsAnOwnersPageOfOneStatusThroughAnIndex() {
        String plan = plan(filter(TaskStatus.FAILED, null, "owner-3"));
        assertThat(plan).doesNotContain("Seq Scan").contains("tasks_owner_status_created_id");
    }

    @Test
    void readsEveryFilteredFirstPageThroughAnIndex() {
        Instant weekAgo = NEWEST.minus(7, ChronoUnit.DAYS);
        List<TaskFilter> filters = List.of(
                filter(null, null, null),
                filter(null, null, "owner-3"),
                filter(TaskStatus.QUEUED, null, null),
                filter(TaskStatus.RUNNING, null, "owner-9"),
                filter(null, "type-4", null),
                filter(null, "type-4", "owner-4"),
                new TaskFilter(null, null, "owner-3", 0, 20, weekAgo, NEWEST.minusSeconds(3600), null, null),
                new TaskFilter(null, null, null, 0, 20, null, null, "type-1", null),
                new TaskFilter(null, null, "owner-3", 0, 20, null, null, "ab", null),
                new TaskFilter(null, null, null, 0, 20, null, null, UUID.randomUUID().toString(), null));
        for (TaskFilter f : filters) {
            assertThat(plan(f)).as(f.toString()).doesNotContain("Seq Scan").contains("Index");
        }
    }

    @Test
    void readsARareTypeAndATypePrefixThroughTheTypeIndex() {
        assertThat(plan(filter(null, "rare-type", null))).contains("tasks_type_created_id");
        assertThat(plan(new TaskFilter(null, null, null, 0, 20, null, null, "rare", null)))
                .contains("tasks_type_created_id");
    }

    @Test
    void readsADeepKeysetPageThroughAnIndexRange() {
        TaskCursor deep = new TaskCursor(NEWEST.minusSeconds(90_000), UUID.randomUUID());
        TaskFilter f = new TaskFilter(TaskStatus.SUCCEEDED, null, "owner-1", 0, 20, null, null, null, deep);
        assertThat(plan(f)).doesNotContain("Seq Scan").doesNotContain("Sort").contains("tasks_owner_status_created_id");
        assertThat(plan(new TaskFilter(null, null, null, 0, 20, null, null, null, deep)))
                .doesNotContain("Seq Scan").contains("tasks_created_id");
    }

    @Test
    void walksAllTasksOfAnOwnerByCursorWithoutGapsOrRepeats() {
        TaskFilter first = new TaskFilter(null, null, "owner-7", 0, 200);
        Set<UUID> seen = new HashSet<>();
        List<TaskView> all = new ArrayList<>();
        TaskPage page = queries.page(first);
        assertThat(page.total()).isEqualTo(TASKS / OWNERS);
        assertThat(page.totalIsEstimate()).isFalse();
        while (true) {
            all.addAll(page.items());
            page.items().forEach(t -> assertThat(seen.add(t.id())).as("repeated " + t.id()).isTrue());
            if (page.nextCursor() == null) {
                break;
            }
            assertThat(page.items()).hasSize(200);
            page = queries.page(new TaskFilter(null, null, "owner-7", 0, 200, null, null, null,
                    TaskCursor.decode(page.nextCursor())));
        }
        assertThat(all).hasSize(TASKS / OWNERS);
        assertThat(all).isSortedAccordingTo((a, b) -> b.createdAt().compareTo(a.createdAt()));
        assertThat(all).allSatisfy(t -> assertThat(t.owner()).isEqualTo("owner-7"));
    }

    @Test
    void estimatesTotalsAboveTheExactLimit() {
        TaskPage everything = queries.page(new TaskFilter(null, null, null, 0, 20));
        assertThat(everything.totalIsEstimate()).isTrue();
        assertThat(everything.total()).isGreaterThan(TaskQueries.EXACT_TOTAL_LIMIT);
        assertThat(everything.items()).hasSize(20);
        assertThat(everything.items().getFirst().createdAt()).isEqualTo(NEWEST);
        assertThat(everything.nextCursor()).isNotNull();

        TaskPage failedOfOne = queries.page(filter(TaskStatus.FAILED, null, "owner-3"));
        assertThat(failedOfOne.totalIsEstimate()).isFalse();
        assertThat(failedOfOne.total()).isEqualTo(jdbc.queryForObject(
                "SELECT count(*) FROM tasks WHERE owner = 'owner-3' AND status = 'FAILED'", Long.class));
    }

    @Test
    void findsTasksByIdPrefixAndTypePrefix() {
        UUID id = jdbc.queryForObject("SELECT id FROM tasks WHERE owner = 'owner-5' ORDER BY created_at LIMIT 1",
                UUID.class);
        String prefix = id.toString().substring(0, 9);
        TaskPage byPrefix = queries.page(new TaskFilter(null, null, "owner-5", 0, 20, null, null, prefix, null));
        assertThat(byPrefix.items()).extracting(TaskView::id).contains(id)
                .allSatisfy(found -> assertThat(found.toString()).startsWith(prefix));
        TaskPage exact = queries.page(new TaskFilter(null, null, null, 0, 20, null, null, id.toString(), null));
        assertThat(exact.items()).extracting(TaskView::id).containsExactly(id);
        TaskPage byType = queries.page(new TaskFilter(null, null, "owner-5", 0, 20, null, null, "type-1", null));
        // owner-5 has types type-5 and type-15 only
        assertThat(byType.items()).isNotEmpty().allSatisfy(t -> assertThat(t.type()).isEqualTo("type-15"));
        TaskPage wildcard = queries.page(new TaskFilter(null, null, null, 0, 20, null, null, "type_%", null));
        assertThat(wildcard.items()).as("LIKE wildcards in q are literal").isEmpty();
    }
}
