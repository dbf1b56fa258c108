package dev.taskmesh.task.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskmesh.contract.WireJson;
import dev.taskmesh.testsupport.TestPostgres;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * How often a dispatch round looks at the queue ({@link TaskStore#anyClaimable}) before it claims: not while a
 * backlog drains, once the queue has run dry. On a database of its own; the store only counts the looks.
 */
class ClaimAllIT {

    private static final AgentOffer OFFER = new AgentOffer("worker-1", List.of("noop"), 4, 8192, List.of(),
            List.of(), 12);

    /** The real store, counting how often it looked whether anything is claimable. */
    private static final class CountingStore extends TaskStore {
        int looks;

        CountingStore(JdbcTemplate jdbc) {
            super(jdbc, WireJson.mapper());
        }

        @Override
        boolean anyClaimable(Instant now) {
            looks++;
            return super.anyClaimable(now);
        }
    }

    private static JdbcTemplate jdbc;
    private static TransactionTemplate tx;

    @BeforeAll
    static void migrate() {
        TestPostgres.Database db = TestPostgres.newDatabase();
        Flyway.configure().dataSource(db.url(), db.username(), db.password()).schemas("tasks")
                .locations("classpath:db/migration/tasks").load().migrate();
        var dataSource = new SingleConnectionDataSource(db.url(), db.username(), db.password(), true);
        dataSource.setSchema("tasks");
        jdbc = new JdbcTemplate(dataSource);
        tx = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
    }

    private static void queue(int count) {
        jdbc.update("""
                INSERT INTO tasks (id, type, status, owner, owner_name, input, max_attempts, attempt, created_at,
                                   queued_at, dispatch_at)
                SELECT gen_random_uuid(), 'noop', 'QUEUED', 'u', 'u', '{}'::jsonb, 3, 0, now(), now(),
                       now() - (? - n) * interval '1 millisecond'
                FROM generate_series(1, ?) AS n""", count, count);
    }

    private static int claim(TaskLifecycle lifecycle) {
        return tx.execute(status -> lifecycle.claimAll(List.of(OFFER), false).getFirst().size());
    }

    @Test
    void looksAtTheQueueOnlyAfterAClaimThatCameBackShort() {
        CountingStore store = new CountingStore(jdbc);
        LifecycleProperties properties = new LifecycleProperties(Duration.ofSeconds(2), Duration.ofMinutes(5), null,
                Duration.ofSeconds(60), 0, Duration.ofSeconds(5), 2000);
        TaskLifecycle lifecycle = new TaskLifecycle(store, new FanOutStore(jdbc, WireJson.mapper(), store, properties),
                new RunTimeStats(jdbc), event -> { }, properties);
        jdbc.update("DELETE FROM task_attempts");
        jdbc.update("DELETE FROM tasks");
        queue(30);

        assertThat(claim(lifecycle)).as("a first claim, after a look").isEqualTo(12);
        assertThat(store.looks).isEqualTo(1);

        assertThat(claim(lifecycle)).as("the backlog drains").isEqualTo(12);
        assertThat(claim(lifecycle)).as("what is left").isEqualTo(6);
        assertThat(store.looks).as("claims that follow a full claim go ahead without a look").isEqualTo(1);

        assertThat(claim(lifecycle)).as("an empty queue").isZero();
        assertThat(store.looks).as("a claim that came back short is followed by a look, not a claim").isEqualTo(2);
        assertThat(jdbc.queryForObject("SELECT count(*) FROM tasks WHERE status = 'ASSIGNED'", Integer.class))
                .isEqualTo(30);
    }
}
