package dev.taskmesh.task.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.taskmesh.contract.WireJson;
import dev.taskmesh.contract.agent.Outcome;
import dev.taskmesh.contract.agent.TaskCompletion;
import dev.taskmesh.contract.agent.TaskProgress;
import dev.taskmesh.contract.agent.TaskStarted;
import dev.taskmesh.contract.task.TaskStatus;
import dev.taskmesh.task.lifecycle.TaskLifecycle.Completed;
import dev.taskmesh.task.lifecycle.TaskLifecycle.Completing;
import dev.taskmesh.testsupport.TestPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * Submissions, completions and claims on a database of their own: a submission's insert with the claim sent along,
 * what a batch of completions records, on the rows it locks and in the statement that locks them, and how often a
 * transaction looks at the queue before it claims (not while a backlog drains, not again after a completion's own
 * look). The store counts the looks of their own.
 */
class CompleteAndClaimIT {

    private static final String WORKER = "worker-1";
    private static final AgentOffer OFFER = new AgentOffer(WORKER, List.of("noop"), 4, 8192, List.of(), List.of(), 12);

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
    private static String url;
    private static String username;
    private static String password;

    private CountingStore store;
    private TaskLifecycle lifecycle;
    private TaskQueries queries;
    private final List<TaskChanged> changes = new ArrayList<>();

    @BeforeAll
    static void migrate() {
        TestPostgres.Database db = TestPostgres.newDatabase();
        url = db.url();
        username = db.username();
        password = db.password();
        Flyway.configure().dataSource(db.url(), db.username(), db.password()).schemas("tasks")
                .locations("classpath:db/migration/tasks").load().migrate();
        var dataSource = new SingleConnectionDataSource(db.url(), db.username(), db.password(), true);
        dataSource.setSchema("tasks");
        jdbc = new JdbcTemplate(dataSource);
        tx = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
    }

    @BeforeEach
    void emptyTables() {
        jdbc.update("DELETE FROM task_attempts");
        jdbc.update("DELETE FROM tasks");
        store = new CountingStore(jdbc);
        LifecycleProperties properties = new LifecycleProperties(Duration.ofSeconds(2), Duration.ofMinutes(5), null,
                Duration.ofSeconds(60), 0, Duration.ofSeconds(5), 2000);
        FanOutStore fanOut = new FanOutStore(jdbc, WireJson.mapper(), store, properties);
        queries = new TaskQueries(store, fanOut);
        lifecycle = new TaskLifecycle(store, fanOut, new RunTimeStats(jdbc), event -> {
                    if (event instanceof TaskChanged change) {
                        changes.add(change);
                    }
                }, properties);
    }

    private static void queue(int count) {
        jdbc.update("""
                INSERT INTO tasks (id, type, status, owner, owner_name, input, max_attempts, attempt, created_at,
                                   queued_at, dispatch_at)
                SELECT gen_random_uuid(), 'noop', 'QUEUED', 'u', 'u', '{}'::jsonb, 3, 0, now(), now(),
                       now() - (? - n) * interval '1 millisecond'
                FROM generate_series(1, ?) AS n""", count, count);
    }

    private List<TaskRow> claimAll(QueueLook known) {
        return tx.execute(status -> lifecycle.claimAll(List.of(OFFER), known).getFirst());
    }

    private Completed completeAll(List<Completing> completions) {
        return tx.execute(status -> lifecycle.completeAll(completions));
    }

    private static Completing completion(TaskRow task, Outcome outcome, boolean retryable,
                                         @Nullable Instant startedAt) {
        return new Completing(WORKER, new TaskCompletion(task.id(), task.attempt(), outcome, null,
                outcome == Outcome.SUCCEEDED ? null : "it broke", retryable, List.of(), Instant.now(), startedAt,
                outcome == Outcome.SUCCEEDED ? JsonNodeFactory.instance.objectNode().put("answer", 42) : null));
    }

    /** Whether another connection can lock the task's row at once. */
    private static boolean lockableElsewhere(UUID id) {
        try (Connection other = DriverManager.getConnection(url, username, password);
             PreparedStatement lock = other.prepareStatement(
                     "SELECT 1 FROM tasks.tasks WHERE id = ? FOR UPDATE NOWAIT")) {
            lock.setObject(1, id);
            lock.executeQuery().close();
            return true;
        } catch (SQLException e) {
            if ("55P03".equals(e.getSQLState())) {
                return false;
            }
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, Object> row(UUID id) {
        return jdbc.queryForMap("SELECT status, error FROM tasks WHERE id = ?", id);
    }

    private static Map<String, Object> attempt(UUID id, int attempt) {
        return jdbc.queryForMap("SELECT status, error, output::text AS output FROM task_attempts"
                + " WHERE task_id = ? AND attempt = ?", id, attempt);
    }

    private static Instant startedAt(String table, String idColumn, UUID id) {
        return jdbc.queryForObject("SELECT started_at FROM " + table + " WHERE " + idColumn + " = ?",
                OffsetDateTime.class, id).toInstant();
    }

    private TaskChanged lastChangeOf(UUID id) {
        return changes.stream().filter(c -> c.task().id().equals(id)).reduce((a, b) -> b).orElseThrow();
    }

    private @Nullable TaskStatus previousStatusOf(UUID id) {
        return lastChangeOf(id).previous();
    }

    private static NewTask newTask(@Nullable String idempotencyKey) {
        return new NewTask("noop", "u", "u", JsonNodeFactory.instance.objectNode().put("n", 1), Requirements.NONE,
                0, null, 3, idempotencyKey, List.of());
    }

    private StoredAndClaimed<TaskLifecycle.Submission> submitAndClaim(NewTask task, AgentOffer... offers) {
        return tx.execute(status -> lifecycle.submitAndClaim(UUID.randomUUID(), task, List.of(offers)));
    }

    /** While open, PostgreSQL refuses any update of a row of {@code tasks}: only inserts write it. */
    private static AutoCloseable refusingUpdatesOfTasks() {
        jdbc.execute("CREATE FUNCTION tasks.refuse_updates() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                + "RAISE EXCEPTION 'task % updated', OLD.id; END $$");
        jdbc.execute("CREATE TRIGGER refuse_updates BEFORE UPDATE ON tasks.tasks FOR EACH ROW "
                + "EXECUTE FUNCTION tasks.refuse_updates()");
        return () -> jdbc.execute("DROP FUNCTION tasks.refuse_updates() CASCADE");
    }

    @Test
    void aTaskSubmittedWhileAnAgentIdlesIsWrittenOnceAlreadyAssigned() throws Exception {
        StoredAndClaimed<TaskLifecycle.Submission> sent;
        // inserted ASSIGNED: no second row version
        try (AutoCloseable refusal = refusingUpdatesOfTasks()) {
            sent = tx.execute(status -> lifecycle.submitAndClaim(UUID.randomUUID(), newTask(null), List.of(OFFER)));
        }

        TaskLifecycle.Submission submission = sent.stored();
        assertThat(submission.created()).isTrue();
        assertThat(submission.task().status()).isEqualTo(TaskStatus.QUEUED);
        assertThat(submission.task().workerId()).isNull();
        assertThat(sent.claims()).hasSize(1);
        TaskRow claimed = sent.claims().getFirst().getFirst();
        assertThat(claimed.id()).isEqualTo(submission.task().id());
        assertThat(claimed.status()).isEqualTo(TaskStatus.ASSIGNED);
        assertThat(claimed.workerId()).isEqualTo(WORKER);
        assertThat(claimed.attempt()).isEqualTo(1);
        assertThat(claimed.version()).isEqualTo(1);
        assertThat(claimed.input().path("n").asInt()).isEqualTo(1);
        assertThat(row(claimed.id())).containsEntry("status", "ASSIGNED");
        assertThat(attempt(claimed.id(), 1)).containsEntry("status", "RUNNING");
        // both changes published, in order: stored, then assigned
        assertThat(changes).extracting(c -> c.task().status(), TaskChanged::previous)
                .containsExactly(tuple(TaskStatus.QUEUED, null),
                        tuple(TaskStatus.ASSIGNED, TaskStatus.QUEUED));
        assertThat(store.looks).isZero();
    }

    @Test
    void theClaimSentWithASubmissionTakesOlderTasksFirstAndTheNextAgentsGetTheRest() {
        queue(2);
        AgentOffer one = new AgentOffer(WORKER, List.of("noop"), 4, 8192, List.of(), List.of(), 1);
        AgentOffer other = new AgentOffer("worker-2", List.of("noop"), 4, 8192, List.of(), List.of(), 5);

        StoredAndClaimed<TaskLifecycle.Submission> sent = submitAndClaim(newTask(null), one, other);

        UUID submitted = sent.stored().task().id();
        assertThat(sent.claims().getFirst()).singleElement()
                .satisfies(task -> assertThat(task.id()).isNotEqualTo(submitted));
        assertThat(sent.claims().get(1)).hasSize(2).anySatisfy(task -> assertThat(task.id()).isEqualTo(submitted))
                .allSatisfy(task -> assertThat(task.workerId()).isEqualTo("worker-2"));
        assertThat(jdbc.queryForObject("SELECT count(*) FROM tasks WHERE status = 'QUEUED'", Long.class)).isZero();
    }

    @Test
    void aSecondSubmissionWithTheSameKeyIsAnsweredWithTheFirstTaskAndStillClaims() {
        TaskRow first = tx.execute(status -> lifecycle.submit(newTask("key-1"))).task();
        queue(1);

        StoredAndClaimed<TaskLifecycle.Submission> sent = submitAndClaim(newTask("key-1"), OFFER);

        assertThat(sent.stored().created()).isFalse();
        assertThat(sent.stored().task().id()).isEqualTo(first.id());
        assertThat(sent.claims().getFirst()).hasSize(2);
        assertThat(jdbc.queryForObject("SELECT count(*) FROM tasks", Long.class)).isEqualTo(2);
    }

    @Test
    void aSubmissionWithNoAgentToOfferIsOnlyStored() {
        StoredAndClaimed<TaskLifecycle.Submission> sent = submitAndClaim(newTask(null));

        assertThat(sent.claims()).isEmpty();
        assertThat(row(sent.stored().task().id())).containsEntry("status", "QUEUED");
    }

    @Test
    void looksAtTheQueueOnlyAfterAClaimThatCameBackShort() {
        queue(30);

        assertThat(claimAll(QueueLook.UNKNOWN)).as("a first claim, after a look").hasSize(12);
        assertThat(store.looks).isEqualTo(1);

        assertThat(claimAll(QueueLook.UNKNOWN)).as("the backlog drains").hasSize(12);
        assertThat(claimAll(QueueLook.UNKNOWN)).as("what is left").hasSize(6);
        assertThat(store.looks).as("claims that follow a full claim go ahead without a look").isEqualTo(1);

        assertThat(claimAll(QueueLook.UNKNOWN)).as("an empty queue").isEmpty();
        assertThat(store.looks).as("a claim that came back short is followed by a look, not a claim").isEqualTo(2);
        assertThat(jdbc.queryForObject("SELECT count(*) FROM tasks WHERE status = 'ASSIGNED'", Integer.class))
                .isEqualTo(30);
    }

    @Test
    void endsPlainlyOverAttemptsWhereItLocksThemAndLooksAtTheQueueOnTheWay() {
        queue(3);
        List<TaskRow> held = claimAll(QueueLook.UNKNOWN);
        TaskRow succeeded = held.get(0);
        TaskRow failed = held.get(1);
        TaskRow cancelled = held.get(2);
        tx.executeWithoutResult(status -> lifecycle.start(WORKER,
                new TaskStarted(failed.id(), failed.attempt(), Instant.now())));
        // assigned a minute ago, as the agent says it began 30 s ago: the reported start is kept
        jdbc.update("UPDATE tasks SET assigned_at = assigned_at - interval '1 minute' WHERE id = ?", succeeded.id());
        Instant reportedStart = Instant.now().minusSeconds(30).plusNanos(456_789);
        int looksBefore = store.looks;

        Completed completed = completeAll(List.of(
                completion(succeeded, Outcome.SUCCEEDED, false, reportedStart),
                completion(failed, Outcome.FAILED, false, null),
                completion(cancelled, Outcome.CANCELLED, false, Instant.now().plusSeconds(3600))));

        assertThat(completed.verdicts()).extracting(Verdict::accepted).containsExactly(true, true, true);
        assertThat(completed.queue()).as("the look in the finish's round trip").isEqualTo(QueueLook.EMPTY);
        assertThat(store.looks).as("no look of its own").isEqualTo(looksBefore);

        assertThat(row(succeeded.id())).containsEntry("status", "SUCCEEDED").containsEntry("error", null);
        assertThat(startedAt("tasks", "id", succeeded.id())).as("the reported start, to the microsecond")
                .isEqualTo(reportedStart.truncatedTo(ChronoUnit.MICROS));
        assertThat(startedAt("task_attempts", "task_id", succeeded.id()))
                .isEqualTo(reportedStart.truncatedTo(ChronoUnit.MICROS));
        assertThat(attempt(succeeded.id(), 1)).containsEntry("status", "SUCCEEDED")
                .containsEntry("output", "{\"answer\":42}");
        assertThat(previousStatusOf(succeeded.id())).isEqualTo(TaskStatus.ASSIGNED);
        TaskChanged change = lastChangeOf(succeeded.id());
        assertThat(change.attemptsIfLeaf()).as("a first attempt, no children: the change carries the whole task")
                .hasSize(1);
        assertThat(queries.view(change)).as("the task's JSON for its callers, without a read")
                .isEqualTo(queries.find(succeeded.id()).orElseThrow());

        assertThat(row(failed.id())).containsEntry("status", "FAILED").containsEntry("error", "it broke");
        assertThat(attempt(failed.id(), 1)).containsEntry("status", "FAILED").containsEntry("error", "it broke");
        assertThat(previousStatusOf(failed.id())).isEqualTo(TaskStatus.RUNNING);

        assertThat(row(cancelled.id())).containsEntry("status", "CANCELLED")
                .containsEntry("error", "cancelled by the agent: it broke");
        assertThat(startedAt("tasks", "id", cancelled.id())).as("a start reported in the future is held to now")
                .isBefore(Instant.now().plusSeconds(1));

        assertThat(claimAll(completed.queue())).as("nothing to claim, known without a look").isEmpty();
        assertThat(store.looks).isEqualTo(looksBefore);
    }

    /**
     * The statement carries the commit: the transaction manager's rollback afterwards undoes nothing, and the tasks
     * it did not end are no longer locked when it returns. Those are left for {@link TaskLifecycle#completeAll}.
     */
    @Test
    void finishesWhatIsPlainlyOverAndCommitsInTheSameStatement() {
        queue(2);
        List<TaskRow> held = claimAll(QueueLook.UNKNOWN);
        TaskRow succeeded = held.get(0);
        TaskRow retried = held.get(1);
        int looksBefore = store.looks;
        List<Completing> completions = List.of(completion(succeeded, Outcome.SUCCEEDED, false, null),
                completion(retried, Outcome.FAILED, true, null));

        TaskLifecycle.FinishedPlainly finished = tx.execute(status -> {
            TaskLifecycle.FinishedPlainly result = lifecycle.finishPlainlyOver(completions);
            assertThat(lockableElsewhere(retried.id())).as("not locked once the statement returned").isTrue();
            status.setRollbackOnly();
            return result;
        });

        assertThat(finished.verdicts()).containsExactly(Optional.of(Verdict.accept()), Optional.empty());
        assertThat(finished.undecided()).containsExactly(1);
        assertThat(finished.queue()).as("the look in the same round trip").isEqualTo(QueueLook.EMPTY);
        assertThat(store.looks).isEqualTo(looksBefore);
        assertThat(row(succeeded.id())).as("committed, whatever the transaction manager did after")
                .containsEntry("status", "SUCCEEDED");
        assertThat(attempt(succeeded.id(), 1)).containsEntry("status", "SUCCEEDED");
        assertThat(previousStatusOf(succeeded.id())).isEqualTo(TaskStatus.ASSIGNED);
        assertThat(row(retried.id())).as("left as it was").containsEntry("status", "ASSIGNED");

        Completed rest = completeAll(List.of(completions.get(1)));
        assertThat(rest.verdicts()).extracting(Verdict::accepted).containsExactly(true);
        assertThat(row(retried.id())).as("attempts are left").containsEntry("status", "QUEUED");
        assertThat(rest.queue()).isEqualTo(QueueLook.UNKNOWN);
    }

    /**
     * A task whose progress step is still open ends in the same statement as any other, which closes the step as
     * {@link Progress#finished} does: at the attempt's end, with its whole milliseconds.
     */
    @Test
    void closesAnOpenProgressStepInTheStatementThatEndsTheAttempt() {
        queue(1);
        TaskRow task = claimAll(QueueLook.UNKNOWN).getFirst();
        Instant stageAt = Instant.now().minusSeconds(2).truncatedTo(ChronoUnit.MICROS);
        tx.executeWithoutResult(status -> lifecycle.progress(WORKER, new TaskProgress(task.id(), task.attempt(), 50,
                "download", null, stageAt)));

        TaskLifecycle.FinishedPlainly finished = tx.execute(status -> lifecycle.finishPlainlyOver(
                List.of(completion(task, Outcome.SUCCEEDED, false, null))));

        assertThat(finished.undecided()).as("ended by the statement").isEmpty();
        TaskRow done = lastChangeOf(task.id()).task();
        assertThat(done.status()).isEqualTo(TaskStatus.SUCCEEDED);
        Progress progress = Objects.requireNonNull(done.progress());
        assertThat(progress.percent()).isEqualTo(50);
        assertThat(progress.stage()).isEqualTo("download");
        Progress.Step step = progress.steps().getLast();
        assertThat(step.name()).isEqualTo("download");
        assertThat(step.startedAt()).isEqualTo(stageAt);
        assertThat(step.finishedAt()).isEqualTo(done.finishedAt());
        assertThat(step.durationMs()).isEqualTo(Duration.between(stageAt, done.finishedAt()).toMillis());
        assertThat(store.find(task.id()).orElseThrow().progress()).as("as stored").isEqualTo(progress);
    }

    /** Only the last claim commits; the claims before it are committed with it, and so is what came before them. */
    @Test
    void theLastClaimOfClaimAllThenCommitCarriesTheCommit() {
        queue(5);
        AgentOffer first = new AgentOffer(WORKER, List.of("noop"), 4, 8192, List.of(), List.of(), 2);
        AgentOffer second = new AgentOffer("worker-2", List.of("noop"), 4, 8192, List.of(), List.of(), 2);
        UUID stored = UUID.randomUUID();

        List<List<TaskRow>> claimed = tx.execute(status -> {
            jdbc.update("""
                    INSERT INTO tasks (id, type, status, owner, owner_name, input, max_attempts, attempt, created_at,
                                       queued_at, dispatch_at)
                    VALUES (?, 'other', 'QUEUED', 'u', 'u', '{}'::jsonb, 3, 0, now(), now(), now())""", stored);
            List<List<TaskRow>> result = lifecycle.claimAllThenCommit(List.of(first, second), QueueLook.CLAIMABLE);
            status.setRollbackOnly();
            return result;
        });

        assertThat(claimed).extracting(List::size).containsExactly(2, 2);
        assertThat(jdbc.queryForList("SELECT worker_id FROM tasks WHERE status = 'ASSIGNED' ORDER BY worker_id",
                String.class)).containsExactly(WORKER, WORKER, "worker-2", "worker-2");
        assertThat(jdbc.queryForObject("SELECT count(*) FROM task_attempts", Integer.class)).isEqualTo(4);
        assertThat(row(stored)).as("stored before the claims, in their transaction").containsEntry("status", "QUEUED");

        List<TaskRow> rolledBack = tx.execute(status -> {
            List<TaskRow> result = lifecycle.claimAll(List.of(OFFER), QueueLook.CLAIMABLE).getFirst();
            status.setRollbackOnly();
            return result;
        });
        assertThat(rolledBack).as("claimAll leaves the commit to the transaction").hasSize(1);
        assertThat(jdbc.queryForObject("SELECT count(*) FROM tasks WHERE status = 'QUEUED' AND type = 'noop'",
                Integer.class)).isEqualTo(1);
    }

    @Test
    void aLookThatFindsQueuedTasksLetsTheClaimGoAhead() {
        queue(1);
        TaskRow running = claimAll(QueueLook.UNKNOWN).getFirst();
        queue(2);

        Completed completed = completeAll(List.of(completion(running, Outcome.SUCCEEDED, false, null)));

        assertThat(completed.queue()).isEqualTo(QueueLook.CLAIMABLE);
        int looksBefore = store.looks;
        assertThat(claimAll(completed.queue())).hasSize(2);
        assertThat(store.looks).isEqualTo(looksBefore);
    }

    @Test
    void aTaskWithChildrenIsLeftForItsCallersToRead() {
        queue(1);
        TaskRow parent = claimAll(QueueLook.UNKNOWN).getFirst();
        jdbc.update("""
                INSERT INTO tasks (id, type, status, owner, owner_name, input, max_attempts, attempt, created_at,
                                   queued_at, dispatch_at, parent_id)
                VALUES (gen_random_uuid(), 'noop', 'QUEUED', 'u', 'u', '{}'::jsonb, 3, 0, now(), now(), now(), ?)""",
                parent.id());

        completeAll(List.of(completion(parent, Outcome.SUCCEEDED, false, null)));

        TaskChanged change = lastChangeOf(parent.id());
        assertThat(change.task().status()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(change.attemptsIfLeaf()).isNull();
        assertThat(queries.view(change).childCount()).isEqualTo(1L);
    }

    @Test
    void decidesEverythingElseOnTheLockedRows() {
        queue(4);
        List<TaskRow> held = claimAll(QueueLook.UNKNOWN);
        TaskRow retried = held.get(0);
        TaskRow withOpenStep = held.get(1);
        TaskRow repeated = held.get(2);
        TaskRow othersAttempt = held.get(3);
        Instant stageAt = Instant.now().minusSeconds(2).truncatedTo(ChronoUnit.MILLIS);
        tx.executeWithoutResult(status -> lifecycle.progress(WORKER, new TaskProgress(withOpenStep.id(),
                withOpenStep.attempt(), 50, "download", null, stageAt)));
        assertThat(completeAll(List.of(completion(repeated, Outcome.SUCCEEDED, false, null))).verdicts())
                .extracting(Verdict::accepted).containsExactly(true);

        Completed completed = completeAll(List.of(
                completion(retried, Outcome.FAILED, true, null),
                completion(withOpenStep, Outcome.SUCCEEDED, false, null),
                completion(repeated, Outcome.SUCCEEDED, false, null),
                new Completing("worker-2", completion(othersAttempt, Outcome.SUCCEEDED, false, null).completion())));

        assertThat(completed.verdicts().get(0).accepted()).isTrue();
        assertThat(row(retried.id())).as("attempts are left").containsEntry("status", "QUEUED");
        assertThat(attempt(retried.id(), 1)).containsEntry("status", "FAILED");

        assertThat(completed.verdicts().get(1).accepted()).isTrue();
        assertThat(row(withOpenStep.id())).containsEntry("status", "SUCCEEDED");
        Long stepMs = jdbc.queryForObject("SELECT (progress #>> '{steps,-1,durationMs}')::bigint FROM tasks"
                + " WHERE id = ?", Long.class, withOpenStep.id());
        assertThat(stepMs).as("the open step is closed").isNotNull().isGreaterThanOrEqualTo(2000);

        assertThat(completed.verdicts().get(2)).isEqualTo(new Verdict(true, "already recorded"));
        assertThat(completed.verdicts().get(3).accepted()).isFalse();
        assertThat(completed.verdicts().get(3).reason()).contains("is not the current attempt of worker worker-2");
        assertThat(row(othersAttempt.id())).containsEntry("status", "ASSIGNED");

        assertThat(completed.queue()).as("a retry queued a task after the look").isEqualTo(QueueLook.UNKNOWN);
    }
}
