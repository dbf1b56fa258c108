package dev.taskmesh.task;

import static dev.taskmesh.task.TestPerson.next;
import static org.assertj.core.api.Assertions.assertThat;

import dev.taskmesh.contract.agent.Outcome;
import dev.taskmesh.contract.agent.TaskAssignment;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/** A STOMP session may wait for a bounded number of outcomes at once ({@code taskmesh.tasks.max-waits-per-session}). */
@TestPropertySource(properties = "taskmesh.tasks.max-waits-per-session=2")
class SubmissionWaitLimitIT extends IntegrationTestBase {

    private static final String SUBMIT = "/app/tasks/submit";

    @Test
    void refusesOneWaitTooManyBeforeStoringItAndAcceptsWaitsAgainOnceAnswered() {
        String user = "grace-" + UUID.randomUUID().toString().substring(0, 8);
        String token = TOKENS.user(user, user);
        String type = uniqueType();
        try (TestPerson page = TestPerson.connect(port, token)) {
            BlockingQueue<JsonNode> answers = page.subscribe("/user/queue/submissions");
            Map<String, String> body = Map.of("type", type);
            page.send(SUBMIT, Map.of("request-id", "w1", "wait-seconds", "30"), body);
            page.send(SUBMIT, Map.of("request-id", "w2", "wait-seconds", "30"), body);

            // no agent runs the type: both still wait, so a third wait is one too many
            page.send(SUBMIT, Map.of("request-id", "w3", "wait-seconds", "30"), body);
            JsonNode refused = next(answers, "answer to the third wait");
            assertThat(refused.get("requestId").asString()).isEqualTo("w3");
            assertThat(refused.get("status").asInt()).isEqualTo(429);
            assertThat(refused.get("problem").get("detail").asString()).contains("already waits for 2 outcomes");
            // a submission without a wait is not limited
            page.send(SUBMIT, Map.of("request-id", "no-wait"), body);
            assertThat(next(answers, "answer without a wait").get("status").asInt()).isEqualTo(201);
            assertThat(get("/api/v1/tasks", token).json().get("items").size()).as("w3 was not stored").isEqualTo(3);

            try (TestAgent agent = TestAgent.connect(port, List.of(type))) {
                agent.heartbeat(3);
                for (int i = 0; i < 3; i++) {
                    TaskAssignment assignment = agent.nextAssignment();
                    agent.complete(assignment.taskId(), assignment.attempt(), Outcome.SUCCEEDED, null, false);
                }
                Set<String> answered = new HashSet<>();
                for (int i = 0; i < 2; i++) {
                    JsonNode answer = next(answers, "answer after the outcome");
                    assertThat(answer.get("task").get("status").asString()).isEqualTo("SUCCEEDED");
                    answered.add(answer.get("requestId").asString());
                }
                assertThat(answered).containsExactlyInAnyOrder("w1", "w2");

                // the session waits for nothing now: a wait is accepted again
                page.send(SUBMIT, Map.of("request-id", "w4", "wait-seconds", "30"), body);
                agent.heartbeat(3);
                TaskAssignment fourth = agent.nextAssignment();
                agent.complete(fourth.taskId(), fourth.attempt(), Outcome.SUCCEEDED, null, false);
                JsonNode answer = next(answers, "answer to the fourth wait");
                assertThat(answer.get("requestId").asString()).isEqualTo("w4");
                assertThat(answer.get("status").asInt()).isEqualTo(201);
                assertThat(answer.get("task").get("status").asString()).isEqualTo("SUCCEEDED");
            }
        }
    }
}
