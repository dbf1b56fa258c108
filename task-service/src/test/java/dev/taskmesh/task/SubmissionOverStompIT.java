package dev.taskmesh.task;

import static dev.taskmesh.task.TestPerson.next;
import static org.assertj.core.api.Assertions.assertThat;

import dev.taskmesh.contract.agent.TaskAssignment;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Submitting over a person's STOMP session ({@code SEND /app/tasks/submit}, answers on
 * {@code /user/queue/submissions}), with real STOMP clients and a test agent.
 */
class SubmissionOverStompIT extends IntegrationTestBase {

    private static final String SUBMIT = "/app/tasks/submit";
    private static final String ANSWERS = "/user/queue/submissions";

    private final List<AutoCloseable> clients = new ArrayList<>();

    @AfterEach
    void disconnect() throws Exception {
        for (AutoCloseable client : clients) {
            try {
                client.close();
            } catch (RuntimeException e) {
                // the server closed this session already
            }
        }
    }

    private TestPerson person(String token) {
        TestPerson person = TestPerson.connect(port, token);
        clients.add(person);
        return person;
    }

    private static String unique(String name) {
        return name + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    void storesTheTaskAndAnswersWithItsJsonUnderTheRequestId() {
        String alice = userToken(unique("alice"));
        String type = uniqueType();
        TestPerson page = person(alice);
        BlockingQueue<JsonNode> answers = page.subscribe(ANSWERS);

        page.send(SUBMIT, Map.of("request-id", "r-1"), Map.of("type", type, "input", Map.of("n", 7), "priority", 5));

        JsonNode answer = next(answers, "answer");
        assertThat(answer.get("requestId").asString()).isEqualTo("r-1");
        assertThat(answer.get("status").asInt()).isEqualTo(201);
        assertThat(answer.get("problem").isNull()).isTrue();
        JsonNode task = answer.get("task");
        assertThat(task.get("status").asString()).isEqualTo("QUEUED");
        assertThat(task.get("type").asString()).isEqualTo(type);
        // stored as a REST submission would be: the owner reads it back
        JsonNode stored = task(alice, task.get("id").asString());
        assertThat(stored.get("input").get("n").asInt()).isEqualTo(7);
        assertThat(stored.get("priority").asInt()).isEqualTo(5);
        assertThat(stored.get("owner").asString()).isEqualTo(task.get("owner").asString());
    }

    @Test
    void answersWithTheOutcomeWhenAskedToWait() {
        String alice = userToken(unique("alice"));
        String type = uniqueType();
        TestPerson page = person(alice);
        BlockingQueue<JsonNode> answers = page.subscribe(ANSWERS);
        TestAgent agent = TestAgent.connect(port, List.of(type));
        clients.add(agent);
        agent.heartbeat(1);

        page.send(SUBMIT, Map.of("request-id", "wait-1", "wait-seconds", "30"), Map.of("type", type));
        TaskAssignment assignment = agent.nextAssignment();
        agent.started(assignment);
        agent.succeedWithOutput(assignment.taskId(), assignment.attempt(), "{\"answer\": 42}");

        JsonNode answer = next(answers, "answer after the outcome");
        assertThat(answer.get("requestId").asString()).isEqualTo("wait-1");
        assertThat(answer.get("status").asInt()).isEqualTo(201);
        assertThat(answer.get("task").get("id").asString()).isEqualTo(assignment.taskId().toString());
        assertThat(answer.get("task").get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(answer.get("task").get("output").get("answer").asInt()).isEqualTo(42);
    }

    @Test
    void refusesBadSubmissionsWithAProblemStoresNothingAndKeepsTheSession() {
        String carol = unique("carol");
        String token = userToken(carol);
        TestPerson page = person(token);
        BlockingQueue<JsonNode> answers = page.subscribe(ANSWERS);

        page.send(SUBMIT, Map.of("request-id", "bad-type"), Map.of("type", "Not A Type!"));
        JsonNode invalid = next(answers, "answer to an invalid task");
        assertThat(invalid.get("requestId").asString()).isEqualTo("bad-type");
        assertThat(invalid.get("status").asInt()).isEqualTo(400);
        assertThat(invalid.get("task").isNull()).isTrue();
        assertThat(invalid.get("problem").get("status").asInt()).isEqualTo(400);
        assertThat(invalid.get("problem").get("detail").asString()).startsWith("Invalid request: type must be");

        page.send(SUBMIT, Map.of("request-id", "not-json"), "{\"type\": ");
        JsonNode malformed = next(answers, "answer to a body that is not JSON");
        assertThat(malformed.get("status").asInt()).isEqualTo(400);
        assertThat(malformed.get("problem").get("detail").asString()).startsWith("Malformed JSON");

        page.send(SUBMIT, Map.of("request-id", "bad-wait", "wait-seconds", "61"), Map.of("type", uniqueType()));
        JsonNode badWait = next(answers, "answer to a wait that is too long");
        assertThat(badWait.get("status").asInt()).isEqualTo(400);
        assertThat(badWait.get("problem").get("detail").asString()).contains("wait-seconds");

        page.send(SUBMIT, Map.of("request-id", "child"), Map.of("type", uniqueType(),
                "parentId", UUID.randomUUID().toString()));
        assertThat(next(answers, "answer to a child submitted by a person").get("status").asInt()).isEqualTo(400);

        // nothing of the refused ones was stored; the session still submits
        assertThat(get("/api/v1/tasks", token).json().get("items").size()).isZero();
        page.send(SUBMIT, Map.of("request-id", "good"), Map.of("type", uniqueType()));
        JsonNode good = next(answers, "answer to a good task after bad ones");
        assertThat(good.get("requestId").asString()).isEqualTo("good");
        assertThat(good.get("status").asInt()).isEqualTo(201);
        assertThat(get("/api/v1/tasks", token).json().get("items").size()).isEqualTo(1);
    }

    @Test
    void aRepeatedIdempotencyKeyAnswersTheFirstTaskWith200() {
        TestPerson page = person(userToken(unique("dave")));
        BlockingQueue<JsonNode> answers = page.subscribe(ANSWERS);
        Map<String, Object> body = Map.of("type", uniqueType(), "idempotencyKey", "once");

        page.send(SUBMIT, Map.of("request-id", "first"), body);
        JsonNode first = next(answers, "first answer");
        page.send(SUBMIT, Map.of("request-id", "again"), body);
        JsonNode again = next(answers, "second answer");

        assertThat(first.get("status").asInt()).isEqualTo(201);
        assertThat(again.get("status").asInt()).isEqualTo(200);
        assertThat(again.get("task").get("id").asString()).isEqualTo(first.get("task").get("id").asString());
    }

    @Test
    void answersOnlyTheSessionThatSubmitted() {
        String token = userToken(unique("erin"));
        TestPerson laptop = person(token);
        TestPerson phone = person(token);
        BlockingQueue<JsonNode> laptopAnswers = laptop.subscribe(ANSWERS);
        BlockingQueue<JsonNode> phoneAnswers = phone.subscribe(ANSWERS);

        laptop.send(SUBMIT, Map.of("request-id", "from-laptop"), Map.of("type", uniqueType()));
        assertThat(next(laptopAnswers, "laptop's answer").get("requestId").asString()).isEqualTo("from-laptop");
        phone.send(SUBMIT, Map.of("request-id", "from-phone"), Map.of("type", uniqueType()));

        // the laptop's answer was sent before the phone submitted: had it reached the phone, it would come first
        assertThat(next(phoneAnswers, "phone's answer").get("requestId").asString()).isEqualTo("from-phone");
    }

    @Test
    void refusesSubmissionsOnceTheSessionsTokenExpired() throws InterruptedException {
        String user = unique("frank");
        Instant expiry = Instant.now().plusSeconds(3);
        TestPerson page = person(TOKENS.userExpiringIn(user, user, Duration.between(Instant.now(), expiry)));
        BlockingQueue<JsonNode> answers = page.subscribe(ANSWERS);
        page.send(SUBMIT, Map.of("request-id", "in-time"), Map.of("type", uniqueType()));
        assertThat(next(answers, "answer before the expiry").get("status").asInt()).isEqualTo(201);

        while (!Instant.now().isAfter(expiry.plusMillis(200))) {
            Thread.sleep(100);
        }
        page.send(SUBMIT, Map.of("request-id", "too-late"), Map.of("type", uniqueType()));

        StompRefusals.assertEndedBy(page.nextErrorFrame(), "has expired");
        // a fresh token reads what was stored: the first task only
        assertThat(get("/api/v1/tasks", TOKENS.user(user, user)).json().get("items").size()).isEqualTo(1);
    }

    @Test
    void otherSendsStillEndTheSession() {
        TestPerson page = person(userToken(unique("mallory")));
        page.send("/app/tasks/cancel", Map.of("id", UUID.randomUUID().toString()));
        StompRefusals.assertEndedBy(page.nextErrorFrame(), "the only destination for SEND here is /app/tasks/submit");
    }
}
