package dev.taskmesh.task;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.contract.agent.AgentDestinations;
import dev.taskmesh.contract.agent.CompletionReceipt;
import dev.taskmesh.contract.agent.Outcome;
import dev.taskmesh.contract.agent.ProtocolError;
import dev.taskmesh.contract.agent.TaskAssignment;
import dev.taskmesh.contract.agent.TaskCompletion;
import dev.taskmesh.contract.agent.TaskCompletions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The optional {@code batches} feature of the agent protocol: several assignments, completions and receipts per frame
 * for an agent that announced it at CONNECT, and one per frame for an agent that did not (an older agent).
 */
class AgentBatchesIT extends IntegrationTestBase {

    private final String alice = userToken("alice");
    private final List<TestAgent> agents = new ArrayList<>();

    @AfterEach
    void disconnectAgents() {
        agents.forEach(TestAgent::close);
    }

    private TestAgent agent(boolean speaksBatches, String type) {
        TestAgent agent = speaksBatches ? TestAgent.connectSpeakingBatches(port, List.of(type))
                : TestAgent.connect(port, List.of(type));
        agents.add(agent);
        return agent;
    }

    /** Submits {@code count} tasks in one transaction, so that one claim sees them all. */
    private Set<UUID> submitTogether(String type, int count) {
        String items = String.join(",", IntStream.range(0, count)
                .mapToObj(i -> "{\"type\": \"" + type + "\", \"input\": {\"i\": " + i + "}}").toList());
        Response response = post(ApiPaths.TASKS_BATCH + "?view=ids", alice, "{\"tasks\": [" + items + "]}");
        assertThat(response.status()).as(response.body()).isEqualTo(201);
        Set<UUID> ids = new HashSet<>();
        response.json().get("ids").forEach(id -> ids.add(UUID.fromString(id.asString())));
        return ids;
    }

    private static Set<UUID> idsOf(List<TaskAssignment> assignments) {
        Set<UUID> ids = new HashSet<>();
        assignments.forEach(a -> ids.add(a.taskId()));
        return ids;
    }

    @Test
    void sendsOneClaimInOneFrameAndRecordsCompletionsSentInOne() {
        String type = uniqueType();
        TestAgent agent = agent(true, type);
        agent.heartbeat(5);
        Set<UUID> submitted = submitTogether(type, 5);

        List<TaskAssignment> frame = TestAgent.next(agent.assignmentBatches, "assignment batch").assignments();
        assertThat(idsOf(frame)).isEqualTo(submitted);
        assertThat(frame).allSatisfy(a -> {
            assertThat(a.attempt()).isEqualTo(1);
            assertThat(a.type()).isEqualTo(type);
        });

        agent.send(AgentDestinations.COMPLETE_BATCH, new TaskCompletions(frame.stream()
                .map(a -> TestAgent.completion(a.taskId(), a.attempt(), Outcome.SUCCEEDED, null, false)).toList()));

        List<CompletionReceipt> receipts = new ArrayList<>();
        while (receipts.size() < 5) {
            receipts.addAll(TestAgent.next(agent.receiptBatches, "receipt batch").receipts());
        }
        assertThat(receipts).hasSize(5).allSatisfy(r -> assertThat(r.recorded()).isTrue());
        assertThat(receipts.stream().map(CompletionReceipt::taskId).toList())
                .containsExactlyInAnyOrderElementsOf(submitted);
        for (UUID id : submitted) {
            assertThat(task(alice, id.toString()).get("status").asString()).isEqualTo("SUCCEEDED");
        }
        // nothing went the one-per-frame way
        assertThat(agent.assignments).isEmpty();
        assertThat(agent.receipts).isEmpty();
    }

    @Test
    void refusesABatchWithOneInvalidCompletionWithoutRecordingAnyOfIt() {
        String type = uniqueType();
        TestAgent agent = agent(true, type);
        agent.heartbeat(2);
        submitTogether(type, 2);
        List<TaskAssignment> frame = TestAgent.next(agent.assignmentBatches, "assignment batch").assignments();
        assertThat(frame).hasSize(2);
        TaskAssignment valid = frame.get(0);
        TaskAssignment other = frame.get(1);
        TaskCompletion noOutcome = new TaskCompletion(other.taskId(), other.attempt(), null, 0, null, false, List.of(),
                Instant.now(), null, null);

        agent.send(AgentDestinations.COMPLETE_BATCH, new TaskCompletions(List.of(
                TestAgent.completion(valid.taskId(), valid.attempt(), Outcome.SUCCEEDED, null, false), noOutcome)));
        ProtocolError error = TestAgent.next(agent.errors, "protocol error");
        assertThat(error.code()).isEqualTo("INVALID_MESSAGE");
        assertThat(error.message()).contains("taskId and outcome");

        agent.send(AgentDestinations.COMPLETE_BATCH, new TaskCompletions(List.of()));
        assertThat(TestAgent.next(agent.errors, "protocol error").message()).contains("1 to 256");

        // the session goes on; the valid completion was not recorded with the refused frame
        assertThat(task(alice, valid.taskId().toString()).get("status").asString()).isEqualTo("ASSIGNED");
        agent.send(AgentDestinations.COMPLETE_BATCH, new TaskCompletions(List.of(
                TestAgent.completion(valid.taskId(), valid.attempt(), Outcome.SUCCEEDED, null, false))));
        CompletionReceipt receipt = TestAgent.next(agent.receiptBatches, "receipt batch").receipts().getFirst();
        assertThat(receipt.taskId()).isEqualTo(valid.taskId());
        assertThat(receipt.recorded()).isTrue();
        JsonNode done = task(alice, valid.taskId().toString());
        assertThat(done.get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(task(alice, other.taskId().toString()).get("status").asString()).isEqualTo("ASSIGNED");
    }

    @Test
    void anAgentThatAnnouncedNothingGetsOneAssignmentAndOneReceiptPerFrame() {
        String type = uniqueType();
        TestAgent agent = agent(false, type);
        agent.heartbeat(3);
        Set<UUID> submitted = submitTogether(type, 3);

        List<TaskAssignment> assignments = List.of(agent.nextAssignment(), agent.nextAssignment(),
                agent.nextAssignment());
        assertThat(idsOf(assignments)).isEqualTo(submitted);
        // a server reads a batch of completions from any agent; the receipts still go one per frame to this one
        agent.send(AgentDestinations.COMPLETE_BATCH, new TaskCompletions(assignments.stream()
                .map(a -> TestAgent.completion(a.taskId(), a.attempt(), Outcome.SUCCEEDED, null, false)).toList()));
        Set<UUID> receipted = new HashSet<>();
        for (int i = 0; i < 3; i++) {
            CompletionReceipt receipt = agent.nextReceipt();
            assertThat(receipt.recorded()).isTrue();
            receipted.add(receipt.taskId());
        }
        assertThat(receipted).isEqualTo(submitted);
    }
}
