package dev.taskmesh.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.contract.agent.Outcome;
import dev.taskmesh.contract.agent.TaskAssignment;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Tasks are claimed in the transaction that stores a submission (for an idle agent), or right after the commit of a
 * completion by the thread that recorded it (the next task for the agent that finished one), and a claim that fails
 * there costs the submission or the completion nothing: it is stored, and the dispatcher assigns the task later.
 *
 * <p>The dispatcher's own round may hold the claim at the moment a submission or a completion is stored, which then
 * goes the usual way; of a few in a row, at least one is claimed with its store.
 */
class ClaimWithStoreIT extends IntegrationTestBase {

    private static final int TRIES = 5;

    @Autowired
    private MeterRegistry meters;
    @Autowired
    private DataSource dataSource;

    private final String alice = userToken("alice");
    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing.reversed()) {
            c.close();
        }
    }

    @Test
    void aTaskSubmittedToAnIdleAgentIsClaimedWithItsSubmission() {
        String type = uniqueType();
        TestAgent agent = registeredAgent(2, type);
        Counter claimed = claimedWith("submissions");
        double before = claimed.count();

        for (int i = 0; i < TRIES && claimed.count() == before; i++) {
            String id = submit(alice, "{\"type\": \"" + type + "\"}").get("id").asString();
            succeed(agent, id);
            assertThat(task(alice, id).get("status").asString()).isEqualTo("SUCCEEDED");
        }
        assertThat(claimed.count()).isGreaterThan(before);
    }

    @Test
    void anAgentThatFinishesATaskGetsTheNextQueuedOneRightAfterTheCompletionsCommit() {
        String type = uniqueType();
        TestAgent agent = registeredAgent(1, type);
        Counter claimed = claimedWith("completions");
        double before = claimed.count();

        for (int i = 0; i < TRIES && claimed.count() == before; i++) {
            String first = submit(alice, "{\"type\": \"" + type + "\"}").get("id").asString();
            TaskAssignment running = agent.nextAssignment();
            assertThat(running.taskId()).hasToString(first);
            // the agent's one slot is taken: the second waits in the queue
            String second = submit(alice, "{\"type\": \"" + type + "\"}").get("id").asString();
            assertThat(task(alice, second).get("status").asString()).isEqualTo("QUEUED");

            agent.complete(running.taskId(), running.attempt(), Outcome.SUCCEEDED, null, false);
            succeed(agent, second);
            assertThat(agent.nextReceipt().recorded()).as("the first task's receipt").isTrue();
        }
        assertThat(claimed.count()).isGreaterThan(before);
    }

    @Test
    void aClaimThatFailsWithTheSubmissionLeavesItStoredAndQueued() {
        String type = uniqueType();
        TestAgent agent = registeredAgent(2, type);
        AutoCloseable refusal = refuseAssigningTasksOfType(type);

        String id = submit(alice, "{\"type\": \"" + type + "\"}").get("id").asString();
        assertThat(task(alice, id).get("status").asString()).isEqualTo("QUEUED");

        close(refusal);
        TaskAssignment assignment = agent.nextAssignment();
        assertThat(assignment.taskId()).hasToString(id);
        assertThat(assignment.attempt()).isEqualTo(1);
    }

    /**
     * The waiter is registered before the transaction that stores the task. When the claim in it fails, the task is
     * stored again on its own, under the same id, and the caller gets the task's outcome.
     */
    @Test
    void aWaitedSubmissionWhoseClaimFailedIsAnsweredWithItsOutcome() throws Exception {
        String type = uniqueType();
        TestAgent agent = registeredAgent(2, type);
        AutoCloseable refusal = refuseAssigningTasksOfType(type);

        CompletableFuture<Response> answer = CompletableFuture.supplyAsync(
                () -> post(ApiPaths.TASKS + "?waitSeconds=60", alice, "{\"type\": \"" + type + "\"}"));
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        await().atMost(Duration.ofSeconds(20)).until(() -> jdbc.queryForObject(
                "SELECT count(*) FROM tasks.tasks WHERE type = ? AND status = 'QUEUED'", Integer.class, type) == 1);
        close(refusal);
        TaskAssignment assignment = agent.nextAssignment();
        agent.complete(assignment.taskId(), assignment.attempt(), Outcome.SUCCEEDED, null, false);

        Response response = answer.get(30, TimeUnit.SECONDS);
        assertThat(response.status()).as(response.body()).isEqualTo(201);
        assertThat(response.json().get("id").asString()).isEqualTo(assignment.taskId().toString());
        assertThat(response.json().get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(meters.get("taskmesh.tasks.waited.on").gauge().value())
                .as("no waiter is left").isZero();
    }

    @Test
    void aClaimThatFailsWithACompletionLeavesTheCompletionRecorded() {
        String type = uniqueType();
        String refusedType = uniqueType();
        TestAgent agent = registeredAgent(1, type, refusedType);
        String first = submit(alice, "{\"type\": \"" + type + "\"}").get("id").asString();
        TaskAssignment running = agent.nextAssignment();
        assertThat(running.taskId()).hasToString(first);
        AutoCloseable refusal = refuseAssigningTasksOfType(refusedType);
        String second = submit(alice, "{\"type\": \"" + refusedType + "\"}").get("id").asString();

        agent.complete(running.taskId(), running.attempt(), Outcome.SUCCEEDED, null, false);
        assertThat(agent.nextReceipt().recorded()).isTrue();
        assertThat(task(alice, first).get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(task(alice, second).get("status").asString()).isEqualTo("QUEUED");

        close(refusal);
        TaskAssignment next = agent.nextAssignment();
        assertThat(next.taskId()).hasToString(second);
    }

    /** The task's assignment arrives; the agent reports success, which is recorded. */
    private static void succeed(TestAgent agent, String id) {
        TaskAssignment assignment = agent.nextAssignment();
        assertThat(assignment.taskId()).hasToString(id);
        assertThat(assignment.attempt()).isEqualTo(1);
        agent.complete(assignment.taskId(), assignment.attempt(), Outcome.SUCCEEDED, null, false);
        assertThat(agent.nextReceipt().recorded()).isTrue();
    }

    private Counter claimedWith(String store) {
        return meters.get("taskmesh.dispatch.claimed.with").tag("store", store).counter();
    }

    /** An agent whose first heartbeat the server has handled (a probe task went to it and back). */
    private TestAgent registeredAgent(int slots, String... types) {
        TestAgent agent = TestAgent.connect(port, List.of(types));
        closing.add(agent);
        agent.heartbeat(slots);
        String probe = submit(alice, "{\"type\": \"" + types[0] + "\", \"targetWorkers\": [\"" + agent.workerId
                + "\"]}").get("id").asString();
        succeed(agent, probe);
        return agent;
    }

    /**
     * A trigger that makes PostgreSQL refuse to assign any task of the type, by a claim or by an insert that claims;
     * closing it drops the trigger.
     */
    private AutoCloseable refuseAssigningTasksOfType(String type) {
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        String function = "tasks.refuse_assigning_" + type.replace('-', '_');
        jdbc.execute("CREATE FUNCTION " + function + "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                + "IF NEW.type = '" + type + "' AND NEW.status = 'ASSIGNED' THEN "
                + "RAISE EXCEPTION 'assigning refused by the test'; END IF; RETURN NEW; END $$");
        jdbc.execute("CREATE TRIGGER refuse_assigning_" + type.replace('-', '_') + " BEFORE INSERT OR UPDATE ON tasks.tasks "
                + "FOR EACH ROW EXECUTE FUNCTION " + function + "()");
        AutoCloseable drop = () -> jdbc.execute("DROP FUNCTION IF EXISTS " + function + "() CASCADE");
        closing.add(drop);
        return drop;
    }

    private static void close(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
