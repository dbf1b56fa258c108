package dev.taskmesh.task;

import static dev.taskmesh.task.TestPerson.next;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import tools.jackson.databind.JsonNode;

/**
 * Submissions that arrive while another one is being committed are stored together in the next transaction, and
 * each is still answered for itself. The first submission's commit is held up by a lock on the table that this test
 * holds, so that the others arrive during it whatever the timing.
 */
class GroupCommitIT extends IntegrationTestBase {

    private static final String SUBMIT = "/app/tasks/submit";
    private static final String ANSWERS = "/user/queue/submissions";

    @Autowired
    private DataSource dataSource;
    @Autowired
    private MeterRegistry meters;

    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void release() throws Exception {
        for (AutoCloseable c : closing.reversed()) {
            c.close();
        }
    }

    @Test
    void submissionsThatArriveDuringACommitShareTheNextOneAndAreEachAnswered() throws SQLException {
        String token = userToken("gc-" + UUID.randomUUID().toString().substring(0, 8));
        TestPerson page = TestPerson.connect(port, token);
        closing.add(page);
        BlockingQueue<JsonNode> answers = page.subscribe(ANSWERS);
        String type = uniqueType();
        DistributionSummary commits = meters.get("taskmesh.tasks.submission.group.commit").summary();
        long commitsBefore = commits.count();
        double storedBefore = commits.totalAmount();

        Connection lock = holdTableLock();
        page.send(SUBMIT, Map.of("request-id", "first"), Map.of("type", type));
        awaitInsertBlocked();
        for (int i = 2; i <= 4; i++) {
            page.send(SUBMIT, Map.of("request-id", "r-" + i), Map.of("type", type));
        }
        page.send(SUBMIT, Map.of("request-id", "key-1"), Map.of("type", type, "idempotencyKey", "same"));
        page.send(SUBMIT, Map.of("request-id", "key-2"), Map.of("type", type, "idempotencyKey", "same"));
        awaitPending(6);
        lock.commit();

        Map<String, JsonNode> byRequest = new HashMap<>();
        for (int i = 0; i < 6; i++) {
            JsonNode answer = next(answers, "answer " + (i + 1) + " of 6");
            byRequest.put(answer.get("requestId").asString(), answer);
        }
        assertThat(byRequest.keySet()).containsExactlyInAnyOrder("first", "r-2", "r-3", "r-4", "key-1", "key-2");
        for (String created : List.of("first", "r-2", "r-3", "r-4", "key-1")) {
            assertThat(byRequest.get(created).get("status").asInt()).as(created).isEqualTo(201);
        }
        // the second use of the key, in the same transaction as the first, is answered with the first's task
        assertThat(byRequest.get("key-2").get("status").asInt()).isEqualTo(200);
        assertThat(byRequest.get("key-2").get("task").get("id").asString())
                .isEqualTo(byRequest.get("key-1").get("task").get("id").asString());
        assertThat(byRequest.values().stream().map(a -> a.get("task").get("id").asString()).distinct()).hasSize(5);
        assertThat(new JdbcTemplate(dataSource).queryForObject(
                "SELECT count(*) FROM tasks.tasks WHERE type = ?", Integer.class, type)).isEqualTo(5);
        // the first alone, then the five that arrived during its commit, together
        assertThat(commits.count() - commitsBefore).isEqualTo(2);
        assertThat(commits.totalAmount() - storedBefore).isEqualTo(6);
    }

    @Test
    void aSubmissionTheDatabaseRefusesDoesNotFailTheOthersOfItsCommit() throws SQLException {
        String token = userToken("gc-" + UUID.randomUUID().toString().substring(0, 8));
        TestPerson page = TestPerson.connect(port, token);
        closing.add(page);
        BlockingQueue<JsonNode> answers = page.subscribe(ANSWERS);
        String type = uniqueType();
        String refused = uniqueType();
        refuseTasksOfType(refused);

        Connection lock = holdTableLock();
        page.send(SUBMIT, Map.of("request-id", "first"), Map.of("type", type));
        awaitInsertBlocked();
        page.send(SUBMIT, Map.of("request-id", "good-1"), Map.of("type", type));
        page.send(SUBMIT, Map.of("request-id", "refused"), Map.of("type", refused));
        page.send(SUBMIT, Map.of("request-id", "good-2"), Map.of("type", type));
        awaitPending(4);
        lock.commit();

        Map<String, JsonNode> byRequest = new HashMap<>();
        for (int i = 0; i < 4; i++) {
            JsonNode answer = next(answers, "answer " + (i + 1) + " of 4");
            byRequest.put(answer.get("requestId").asString(), answer);
        }
        assertThat(byRequest.get("first").get("status").asInt()).isEqualTo(201);
        assertThat(byRequest.get("good-1").get("status").asInt()).isEqualTo(201);
        assertThat(byRequest.get("good-2").get("status").asInt()).isEqualTo(201);
        assertThat(byRequest.get("refused").get("status").asInt()).isEqualTo(500);
        assertThat(byRequest.get("refused").get("problem").get("detail").asString()).contains("not stored");
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        assertThat(jdbc.queryForObject("SELECT count(*) FROM tasks.tasks WHERE type = ?", Integer.class, type))
                .isEqualTo(3);
        assertThat(jdbc.queryForObject("SELECT count(*) FROM tasks.tasks WHERE type = ?", Integer.class, refused))
                .isZero();
    }

    /** A trigger that makes PostgreSQL refuse every new task of the type, dropped after the test. */
    private void refuseTasksOfType(String type) {
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        String function = "tasks.refuse_" + type.replace('-', '_');
        jdbc.execute("CREATE FUNCTION " + function + "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                + "IF NEW.type = '" + type + "' THEN RAISE EXCEPTION 'refused by the test'; END IF; "
                + "RETURN NEW; END $$");
        jdbc.execute("CREATE TRIGGER refuse_" + type.replace('-', '_') + " BEFORE INSERT ON tasks.tasks "
                + "FOR EACH ROW EXECUTE FUNCTION " + function + "()");
        closing.add(() -> jdbc.execute("DROP FUNCTION " + function + "() CASCADE"));
    }

    /** A transaction that holds a lock on the tasks table which every INSERT waits for (reads go on). */
    private Connection holdTableLock() throws SQLException {
        Connection connection = dataSource.getConnection();
        closing.add(() -> {
            connection.rollback();
            connection.close();
        });
        connection.setAutoCommit(false);
        try (Statement statement = connection.createStatement()) {
            statement.execute("LOCK TABLE tasks.tasks IN SHARE MODE");
        }
        return connection;
    }

    private void awaitInsertBlocked() {
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        awaitTrue("the first submission's INSERT waiting for the lock", () -> jdbc.queryForObject("""
                SELECT count(*) FROM pg_stat_activity
                WHERE wait_event_type = 'Lock' AND query LIKE '%INSERT INTO tasks%'""", Integer.class) > 0);
    }

    private void awaitPending(int count) {
        awaitTrue(count + " submissions pending", () ->
                meters.get("taskmesh.tasks.submission.pending").gauge().value() == count);
    }

    private static void awaitTrue(String what, BooleanSupplier condition) {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(15));
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out waiting for " + what);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
