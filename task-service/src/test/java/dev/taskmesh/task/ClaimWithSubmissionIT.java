package dev.taskmesh.task;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskmesh.contract.agent.TaskAssignment;
import dev.taskmesh.contract.agent.Outcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * A task submitted while an agent has a free slot is claimed in the transaction that stores it, and a claim that
 * fails there costs the submission nothing: it is stored alone, and the dispatcher assigns it later.
 */
class ClaimWithSubmissionIT extends IntegrationTestBase {

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
        TestAgent agent = registeredAgent(type);
        Counter claimedWithSubmission = meters.get("taskmesh.dispatch.claimed.with.submission").counter();
        double before = claimedWithSubmission.count();

        // the dispatcher's own round may hold the claim at the moment of a submission, which then goes the usual
        // way; of a few sequential submissions to an idle agent, at least one is claimed with its submission
        for (int i = 0; i < 5 && claimedWithSubmission.count() == before; i++) {
            String id = submit(alice, "{\"type\": \"" + type + "\"}").get("id").asString();
            TaskAssignment assignment = agent.nextAssignment();
            assertThat(assignment.taskId()).hasToString(id);
            assertThat(assignment.attempt()).isEqualTo(1);
            agent.complete(assignment.taskId(), assignment.attempt(), Outcome.SUCCEEDED, null, false);
            assertThat(agent.nextReceipt().recorded()).isTrue();
            assertThat(task(alice, id).get("status").asString()).isEqualTo("SUCCEEDED");
        }
        assertThat(claimedWithSubmission.count()).isGreaterThan(before);
    }

    @Test
    void aClaimThatFailsWithTheSubmissionLeavesItStoredAndQueued() {
        String type = uniqueType();
        TestAgent agent = registeredAgent(type);
        AutoCloseable refusal = refuseAssigningTasksOfType(type);

        String id = submit(alice, "{\"type\": \"" + type + "\"}").get("id").asString();
        assertThat(task(alice, id).get("status").asString()).isEqualTo("QUEUED");
        assertThat(agent.assignments).isEmpty();

        close(refusal);
        TaskAssignment assignment = agent.nextAssignment();
        assertThat(assignment.taskId()).hasToString(id);
        assertThat(assignment.attempt()).isEqualTo(1);
    }

    /** An agent whose first heartbeat the server has handled (a probe task went to it and back). */
    private TestAgent registeredAgent(String type) {
        TestAgent agent = TestAgent.connect(port, List.of(type));
        closing.add(agent);
        agent.heartbeat(2);
        String probe = submit(alice, "{\"type\": \"" + type + "\", \"targetWorkers\": [\"" + agent.workerId + "\"]}")
                .get("id").asString();
        TaskAssignment assignment = agent.nextAssignment();
        assertThat(assignment.taskId()).hasToString(probe);
        agent.complete(assignment.taskId(), assignment.attempt(), Outcome.SUCCEEDED, null, false);
        assertThat(agent.nextReceipt().recorded()).isTrue();
        return agent;
    }

    /** A trigger that makes PostgreSQL refuse to assign any task of the type; closing it drops the trigger. */
    private AutoCloseable refuseAssigningTasksOfType(String type) {
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        String function = "tasks.refuse_assigning_" + type.replace('-', '_');
        jdbc.execute("CREATE FUNCTION " + function + "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                + "IF NEW.type = '" + type + "' AND NEW.status = 'ASSIGNED' THEN "
                + "RAISE EXCEPTION 'assigning refused by the test'; END IF; RETURN NEW; END $$");
        jdbc.execute("CREATE TRIGGER refuse_assigning_" + type.replace('-', '_') + " BEFORE UPDATE ON tasks.tasks "
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
