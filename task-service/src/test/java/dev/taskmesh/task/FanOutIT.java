package dev.taskmesh.task;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.contract.agent.ChildFinished;
import dev.taskmesh.contract.agent.ChildSubmitted;
import dev.taskmesh.contract.agent.Outcome;
import dev.taskmesh.contract.agent.ProtocolError;
import dev.taskmesh.contract.agent.TaskAssignment;
import dev.taskmesh.contract.agent.TaskCancellation;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Fan-out and fan-in: children submitted by a running task through its agent, groups, broadcasts, and cancels that
 * reach children. Agents are real STOMP clients; each test uses task types of its own.
 */
class FanOutIT extends IntegrationTestBase {

    private final String alice = userToken("alice");
    private final List<TestAgent> agents = new ArrayList<>();

    @AfterEach
    void disconnectAgents() {
        agents.forEach(TestAgent::close);
    }

    private TestAgent agent(String... taskTypes) {
        TestAgent agent = TestAgent.connect(port, List.of(taskTypes));
        agents.add(agent);
        return agent;
    }

    /** A running parent task held by the agent, which also runs the given child types. */
    private TaskAssignment runningParent(TestAgent agent) {
        String parentType = agent.types().getFirst();
        submit(alice, "{\"type\": \"" + parentType + "\"}");
        TaskAssignment parent = agent.nextAssignment();
        assertThat(parent.type()).isEqualTo(parentType);
        agent.started(parent);
        return parent;
    }

    /** Waits for the task's outcome with the wait-for-completion call. */
    private JsonNode finalTask(String id) {
        Response response = get(ApiPaths.TASKS + "/" + id + "?waitSeconds=30", alice);
        assertThat(response.status()).as(response.body()).isEqualTo(200);
        assertThat(response.json().get("status").asString()).isIn("SUCCEEDED", "FAILED", "CANCELLED");
        return response.json();
    }

    @Test
    void runsAChildSubmittedThroughTheAgentAndTellsTheParentWhenItEnds() {
        String childType = uniqueType();
        TestAgent agent = agent(uniqueType(), childType);
        agent.heartbeat(4);
        TaskAssignment parent = runningParent(agent);
        String childBody = "{\"type\": \"" + childType + "\", \"input\": {\"n\": 1}, \"priority\": 5}";

        agent.submitChild(parent.taskId(), 1, "1-1", childBody);

        ChildSubmitted submitted = agent.nextSubmitted();
        assertThat(submitted.requestId()).isEqualTo("1-1");
        assertThat(submitted.error()).isNull();
        UUID childId = submitted.taskId();
        assertThat(childId).isNotNull();
        TaskAssignment child = agent.nextAssignment();
        assertThat(child.taskId()).isEqualTo(childId);
        assertThat(child.owner()).isEqualTo("user-alice");
        JsonNode childJson = task(alice, childId.toString());
        assertThat(childJson.get("parentId").asString()).isEqualTo(parent.taskId().toString());
        assertThat(childJson.get("priority").asInt()).isEqualTo(5);

        agent.started(child);
        agent.complete(childId, 1, Outcome.SUCCEEDED, null, false);
        assertThat(agent.nextReceipt().recorded()).isTrue();
        ChildFinished finished = agent.nextChildFinished();
        assertThat(finished).isEqualTo(new ChildFinished(parent.taskId(), childId, "SUCCEEDED", null,
                agent.workerId));

        // a resend (as after a reconnect) creates nothing and repeats the news of the ended child
        agent.submitChild(parent.taskId(), 1, "1-1", childBody);
        assertThat(agent.nextSubmitted()).isEqualTo(new ChildSubmitted("1-1", childId, null));
        assertThat(agent.nextChildFinished()).isEqualTo(finished);

        JsonNode parentJson = task(alice, parent.taskId().toString());
        assertThat(parentJson.get("parentId").isNull()).isTrue();
        assertThat(parentJson.get("childCount").asLong()).isEqualTo(1);
        JsonNode summary = parentJson.get("children").get(0);
        assertThat(summary.get("id").asString()).isEqualTo(childId.toString());
        assertThat(summary.get("type").asString()).isEqualTo(childType);
        assertThat(summary.get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(summary.get("workerId").asString()).isEqualTo(agent.workerId);
        JsonNode page = get(ApiPaths.TASKS + "/" + parent.taskId() + "/children?size=5", alice).json();
        assertThat(page.get("total").asLong()).isEqualTo(1);
        assertThat(page.get("items").get(0).get("id").asString()).isEqualTo(childId.toString());
        assertThat(get(ApiPaths.TASKS + "/" + parent.taskId() + "/children", userToken("mallory")).status())
                .isEqualTo(403);
    }

    @Test
    void refusesChildrenFromAStaleParentAttemptAnotherWorkerOrAnEndedParent() {
        TestAgent agent = agent(uniqueType());
        agent.heartbeat(2);
        TaskAssignment parent = runningParent(agent);
        String childBody = "{\"type\": \"" + uniqueType() + "\"}";

        agent.submitChild(parent.taskId(), 2, "r-stale", childBody);
        ChildSubmitted stale = agent.nextSubmitted();
        assertThat(stale.taskId()).isNull();
        assertThat(stale.error()).contains("attempt 2", "not the current attempt");
        ProtocolError error = TestAgent.next(agent.errors, "protocol error");
        assertThat(error.code()).isEqualTo("STALE_ATTEMPT");
        assertThat(error.taskId()).isEqualTo(parent.taskId());

        TestAgent other = agent(uniqueType());
        other.submitChild(parent.taskId(), 1, "r-other", childBody);
        assertThat(other.nextSubmitted().error()).contains("not the current attempt of worker " + other.workerId);

        agent.submitChild(parent.taskId(), 1, "r-invalid", "{\"type\": \"command\", \"input\": {}}");
        assertThat(agent.nextSubmitted().error()).isEqualTo(
                "input.argv must be a non-empty array of strings for type command");
        agent.submitChild(parent.taskId(), 1, "r-group", "{\"type\": \"group\", \"children\": [" + childBody + "]}");
        assertThat(agent.nextSubmitted().error()).isNotNull();

        agent.complete(parent.taskId(), 1, Outcome.SUCCEEDED, null, false);
        assertThat(agent.nextReceipt().recorded()).isTrue();
        agent.submitChild(parent.taskId(), 1, "r-late", childBody);
        assertThat(agent.nextSubmitted().error()).contains("already SUCCEEDED");

        assertThat(task(alice, parent.taskId().toString()).get("childCount").asLong()).isZero();
    }

    @Test
    void cancellingAParentCancelsItsRunningAndQueuedChildren() {
        String childType = uniqueType();
        TestAgent agent = agent(uniqueType(), childType);
        agent.heartbeat(4);
        TaskAssignment parent = runningParent(agent);
        agent.submitChild(parent.taskId(), 1, "running", "{\"type\": \"" + childType + "\"}");
        UUID running = agent.nextSubmitted().taskId();
        TaskAssignment child = agent.nextAssignment();
        assertThat(child.taskId()).isEqualTo(running);
        agent.started(child);
        // a type no agent runs: it stays queued
        agent.submitChild(parent.taskId(), 1, "queued", "{\"type\": \"" + uniqueType() + "\"}");
        UUID queued = agent.nextSubmitted().taskId();

        Response cancelled = post(ApiPaths.TASKS + "/" + parent.taskId() + "/cancel", alice, "");

        assertThat(cancelled.status()).isEqualTo(200);
        assertThat(cancelled.json().get("status").asString()).isEqualTo("CANCELLED");
        List<TaskCancellation> pushed = List.of(TestAgent.next(agent.cancellations, "cancellation"),
                TestAgent.next(agent.cancellations, "cancellation"));
        assertThat(pushed).extracting(TaskCancellation::taskId).containsExactlyInAnyOrder(parent.taskId(), running);
        for (UUID childId : List.of(running, queued)) {
            JsonNode childJson = task(alice, childId.toString());
            assertThat(childJson.get("status").asString()).isEqualTo("CANCELLED");
            assertThat(childJson.get("error").asString())
                    .isEqualTo("cancelled by alice (with its parent " + parent.taskId() + ")");
        }
    }

    @Test
    void aGroupSucceedsWhenAllItsChildrenSucceed() {
        String type = uniqueType();
        JsonNode group = submit(alice, "{\"type\": \"group\", \"children\": [" + String.join(",",
                java.util.Collections.nCopies(3, "{\"type\": \"" + type + "\"}")) + "]}");

        assertThat(group.get("type").asString()).isEqualTo("group");
        assertThat(group.get("status").asString()).isEqualTo("RUNNING");
        assertThat(group.get("attempt").asInt()).isZero();
        assertThat(group.get("childCount").asLong()).isEqualTo(3);
        assertThat(group.get("children")).extracting(c -> c.get("status").asString())
                .containsExactly("QUEUED", "QUEUED", "QUEUED");

        TestAgent agent = agent(type);
        agent.heartbeat(4);
        for (int i = 0; i < 3; i++) {
            TaskAssignment child = agent.nextAssignment();
            agent.started(child);
            agent.complete(child.taskId(), 1, Outcome.SUCCEEDED, null, false);
        }

        JsonNode done = finalTask(group.get("id").asString());
        assertThat(done.get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(done.get("error").isNull()).isTrue();
        assertThat(done.get("children")).allSatisfy(child -> {
            assertThat(child.get("status").asString()).isEqualTo("SUCCEEDED");
            assertThat(child.get("workerId").asString()).isEqualTo(agent.workerId);
        });
        assertThat(agent.assignments).as("the group itself is never dispatched").isEmpty();
    }

    @Test
    void aGroupFailsWhenAChildFails() {
        String type = uniqueType();
        String id = submit(alice, "{\"type\": \"group\", \"children\": [" + String.join(",",
                java.util.Collections.nCopies(3, "{\"type\": \"" + type + "\", \"maxAttempts\": 1}")) + "]}")
                .get("id").asString();
        TestAgent agent = agent(type);
        agent.heartbeat(4);
        for (int i = 0; i < 3; i++) {
            TaskAssignment child = agent.nextAssignment();
            agent.started(child);
            if (i == 1) {
                agent.complete(child.taskId(), 1, Outcome.FAILED, "exit code 3", true);
            } else {
                agent.complete(child.taskId(), 1, Outcome.SUCCEEDED, null, false);
            }
        }

        JsonNode done = finalTask(id);
        assertThat(done.get("status").asString()).isEqualTo("FAILED");
        assertThat(done.get("error").asString()).isEqualTo("1 of 3 children failed");
    }

    @Test
    void cancellingAGroupCancelsItsChildren() {
        String type = uniqueType();
        JsonNode group = submit(alice, "{\"type\": \"group\", \"children\": [{\"type\": \"" + type
                + "\"}, {\"type\": \"" + type + "\"}]}");
        String id = group.get("id").asString();

        Response cancelled = post(ApiPaths.TASKS + "/" + id + "/cancel", alice, "");

        assertThat(cancelled.status()).isEqualTo(200);
        assertThat(cancelled.json().get("status").asString()).isEqualTo("CANCELLED");
        assertThat(cancelled.json().get("children")).extracting(c -> c.get("status").asString())
                .containsExactly("CANCELLED", "CANCELLED");
        assertThat(task(alice, id).get("error").asString()).isEqualTo("cancelled by alice");
    }

    @Test
    void refusesInvalidGroupsAndStoresNothing() {
        String type = uniqueType();
        Response badChild = post(ApiPaths.TASKS, alice, "{\"type\": \"group\", \"children\": [{\"type\": \"" + type
                + "\"}, {\"type\": \"command\", \"input\": {\"argv\": []}}]}");
        assertThat(badChild.status()).isEqualTo(400);
        assertThat(badChild.json().get("detail").asString())
                .isEqualTo("children[1].input.argv: must be a non-empty array of strings for type command");
        assertThat(get(ApiPaths.TASKS + "?type=" + type, alice).json().get("total").asLong()).isZero();

        assertThat(post(ApiPaths.TASKS, alice, "{\"type\": \"group\"}").status()).isEqualTo(400);
        assertThat(post(ApiPaths.TASKS, alice, "{\"type\": \"group\", \"children\": []}").status()).isEqualTo(400);
        assertThat(post(ApiPaths.TASKS, alice, "{\"type\": \"" + type + "\", \"parentId\": \""
                + UUID.randomUUID() + "\"}").json().get("detail").asString()).contains("through its agent");
    }

    @Test
    void broadcastsOnceToEachOnlineWorkerWithTheLabel() {
        String type = uniqueType();
        String label = "lab-" + UUID.randomUUID();
        TestAgent first = agent(type).withCapabilities(8, List.of(), List.of(label));
        TestAgent second = agent(type).withCapabilities(8, List.of(), List.of(label, "ssd"));
        TestAgent unlabelled = agent(type);
        for (TestAgent agent : List.of(first, second, unlabelled)) {
            registered(agent, type);
        }

        Response response = post(ApiPaths.TASKS, alice, "{\"type\": \"" + type + "\", \"input\": {\"x\": 1}, "
                + "\"broadcast\": {\"label\": \"" + label + "\"}}");

        assertThat(response.status()).as(response.body()).isEqualTo(201);
        JsonNode group = response.json();
        assertThat(group.get("type").asString()).isEqualTo("group");
        assertThat(group.get("childCount").asLong()).isEqualTo(2);
        for (TestAgent agent : List.of(first, second)) {
            TaskAssignment assignment = agent.nextAssignment();
            assertThat(assignment.input().get("x").asInt()).isEqualTo(1);
            agent.started(assignment);
            agent.complete(assignment.taskId(), 1, Outcome.SUCCEEDED, null, false);
        }
        JsonNode done = finalTask(group.get("id").asString());
        assertThat(done.get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(done.get("children")).extracting(c -> c.get("workerId").asString())
                .containsExactlyInAnyOrder(first.workerId, second.workerId);
        assertThat(List.of(first, second, unlabelled)).allSatisfy(agent -> assertThat(agent.assignments).isEmpty());
    }

    @Test
    void broadcastsToNamedWorkersAndRefusesALabelNobodyCarries() {
        String type = uniqueType();
        TestAgent first = agent(type);
        TestAgent second = agent(type);
        first.heartbeat(2);
        second.heartbeat(2);

        JsonNode group = submit(alice, "{\"type\": \"" + type + "\", \"broadcast\": {\"workers\": [\""
                + first.workerId + "\", \"" + second.workerId + "\"]}}");

        for (TestAgent agent : List.of(first, second)) {
            TaskAssignment assignment = agent.nextAssignment();
            agent.started(assignment);
            agent.complete(assignment.taskId(), 1, Outcome.SUCCEEDED, null, false);
        }
        JsonNode done = finalTask(group.get("id").asString());
        assertThat(done.get("children")).extracting(c -> c.get("workerId").asString())
                .containsExactlyInAnyOrder(first.workerId, second.workerId);
        JsonNode children = get(ApiPaths.TASKS + "/" + group.get("id").asString() + "/children", alice).json();
        assertThat(children.get("items")).extracting(c -> c.get("targetWorkers").get(0).asString())
                .containsExactlyInAnyOrder(first.workerId, second.workerId);

        Response nobody = post(ApiPaths.TASKS, alice, "{\"type\": \"" + type
                + "\", \"broadcast\": {\"label\": \"nobody-has-this\"}}");
        assertThat(nobody.status()).isEqualTo(400);
        assertThat(nobody.json().get("detail").asString()).isEqualTo("no online worker has label nobody-has-this");
        assertThat(post(ApiPaths.TASKS, alice, "{\"type\": \"" + type + "\", \"broadcast\": {}}").status())
                .isEqualTo(400);
    }

    /**
     * Waits until the agent's session is registered (its labels stored with its lease): a task for it alone reaches
     * it only once the server has handled its first heartbeat.
     */
    private void registered(TestAgent agent, String type) {
        agent.heartbeat(2);
        submit(alice, "{\"type\": \"" + type + "\", \"targetWorkers\": [\"" + agent.workerId + "\"]}");
        TaskAssignment probe = agent.nextAssignment();
        agent.started(probe);
        agent.complete(probe.taskId(), 1, Outcome.SUCCEEDED, null, false);
        assertThat(agent.nextReceipt().recorded()).isTrue();
    }
}
