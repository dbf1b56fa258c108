package dev.taskmesh.task;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskmesh.contract.ApiPaths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Task intake over real HTTP: validation, ownership, roles, tokens, idempotency, cancel and listing. */
class TaskIntakeIT extends IntegrationTestBase {

    private final String alice = userToken("alice");
    private final String bob = userToken("bob");

    @Test
    void storesSubmittedTaskAndAnswersItsJson() {
        Response response = post(ApiPaths.TASKS, alice, """
                {"type": "command", "input": {"argv": ["echo", "hi"], "env": {"A": "1"}},
                 "requirements": {"cpus": 2, "labels": ["ssd"]}, "priority": 7, "timeoutSeconds": 60}""");

        assertThat(response.status()).as(response.body()).isEqualTo(201);
        JsonNode task = response.json();
        String id = task.get("id").asString();
        assertThat(response.header("Location")).isEqualTo(ApiPaths.TASKS + "/" + id);
        assertThat(task.get("status").asString()).isEqualTo("QUEUED");
        assertThat(task.get("owner").asString()).isEqualTo("user-alice");
        assertThat(task.get("ownerName").asString()).isEqualTo("alice");
        assertThat(task.get("attempt").asInt()).isZero();
        assertThat(task.get("maxAttempts").asInt()).isEqualTo(3);
        assertThat(task.get("priority").asInt()).isEqualTo(7);
        assertThat(task.get("timeoutSeconds").asInt()).isEqualTo(60);
        assertThat(task.get("workerId").isNull()).isTrue();
        assertThat(task.get("input").get("argv").get(1).asString()).isEqualTo("hi");
        assertThat(task.get("requirements").get("cpus").asInt()).isEqualTo(2);
        assertThat(task.get("requirements").get("gpus").asInt()).isZero();
        assertThat(task.get("requirements").get("labels").get(0).asString()).isEqualTo("ssd");
        assertThat(task.get("attempts").isEmpty()).isTrue();
        assertThat(task.get("createdAt").asString()).matches("\\d{4}-\\d{2}-\\d{2}T.*Z");

        JsonNode read = task(alice, id);
        assertThat(read.get("id").asString()).isEqualTo(id);
        assertThat(read.get("input").get("env").get("A").asString()).isEqualTo("1");
    }

    @Test
    void answersInvalidFieldsWithTheirNames() {
        Response response = post(ApiPaths.TASKS, alice, """
                {"type": "Not A Type", "priority": 5000, "maxAttempts": 0, "requirements": {"gpus": -1}}""");

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.header("Content-Type")).startsWith("application/problem+json");
        Set<String> fields = new HashSet<>();
        response.json().get("errors").forEach(e -> fields.add(e.get("field").asString()));
        assertThat(fields).contains("type", "priority", "maxAttempts", "requirements.gpus");
    }

    @Test
    void refusesMissingTypeAndMalformedJson() {
        assertThat(post(ApiPaths.TASKS, alice, "{}").status()).isEqualTo(400);
        assertThat(post(ApiPaths.TASKS, alice, "{\"type\": ").status()).isEqualTo(400);
        assertThat(post(ApiPaths.TASKS, alice, "{\"type\": \"x\", \"input\": [1]}").status()).isEqualTo(400);
    }

    @Test
    void refusesTheCharacterNulWhichPostgresCannotStore() {
        String nul = userToken("nul-" + uniqueType());
        Response input = post(ApiPaths.TASKS, nul, "{\"type\": \"x\", \"input\": {\"a\": [\"b\\u0000\"]}}");
        assertThat(input.status()).isEqualTo(400);
        assertThat(input.json().get("detail").asString()).contains("input").contains("U+0000");
        Response key = post(ApiPaths.TASKS, nul, "{\"type\": \"x\", \"idempotencyKey\": \"k\\u0000\"}");
        assertThat(key.status()).isEqualTo(400);
        assertThat(key.json().get("detail").asString()).contains("idempotencyKey");
        Response groupKey = post(ApiPaths.TASKS, nul, "{\"type\": \"group\", \"idempotencyKey\": \"g\\u0000\","
                + " \"children\": [{\"type\": \"x\"}]}");
        assertThat(groupKey.status()).isEqualTo(400);
        assertThat(groupKey.json().get("detail").asString()).contains("idempotencyKey");
        // none of them was stored
        assertThat(get(ApiPaths.TASKS, nul).json().get("items").size()).isZero();
    }

    @Test
    void refusesCommandWithoutArgvOrWithNonStringArguments() {
        Response noArgv = post(ApiPaths.TASKS, alice, "{\"type\": \"command\", \"input\": {}}");
        assertThat(noArgv.status()).isEqualTo(400);
        assertThat(noArgv.json().get("detail").asString()).contains("input.argv");

        assertThat(post(ApiPaths.TASKS, alice, "{\"type\": \"command\"}").status()).isEqualTo(400);
        assertThat(post(ApiPaths.TASKS, alice, "{\"type\": \"command\", \"input\": {\"argv\": []}}").status())
                .isEqualTo(400);
        assertThat(post(ApiPaths.TASKS, alice, "{\"type\": \"command\", \"input\": {\"argv\": [\"ls\", 3]}}")
                .status()).isEqualTo(400);
        Response badEnv = post(ApiPaths.TASKS, alice,
                "{\"type\": \"command\", \"input\": {\"argv\": [\"ls\"], \"env\": {\"N\": 1}}}");
        assertThat(badEnv.status()).isEqualTo(400);
        assertThat(badEnv.json().get("detail").asString()).contains("input.env.N");
    }

    @Test
    void answers404ForUnknownTaskAnd400ForMalformedId() {
        assertThat(get(ApiPaths.TASKS + "/00000000-0000-0000-0000-000000000001", alice).status()).isEqualTo(404);
        assertThat(get(ApiPaths.TASKS + "/not-a-uuid", alice).status()).isEqualTo(400);
        assertThat(post(ApiPaths.TASKS + "/00000000-0000-0000-0000-000000000001/cancel", alice, "").status())
                .isEqualTo(404);
    }

    @Test
    void keepsTasksToTheirOwnerAndAdmins() {
        String type = uniqueType();
        String id = submit(alice, "{\"type\": \"" + type + "\"}").get("id").asString();

        assertThat(get(ApiPaths.TASKS + "/" + id, bob).status()).isEqualTo(403);
        assertThat(post(ApiPaths.TASKS + "/" + id + "/cancel", bob, "").status()).isEqualTo(403);
        assertThat(get(ApiPaths.TASKS + "?type=" + type, bob).json().get("total").asLong()).isZero();
        assertThat(get(ApiPaths.TASKS + "?owner=user-alice", bob).status()).isEqualTo(403);

        String admin = TOKENS.admin("user-root", "root");
        assertThat(get(ApiPaths.TASKS + "/" + id, admin).status()).isEqualTo(200);
        JsonNode adminList = get(ApiPaths.TASKS + "?owner=user-alice&type=" + type, admin).json();
        assertThat(adminList.get("total").asLong()).isEqualTo(1);
        assertThat(adminList.get("items").get(0).get("id").asString()).isEqualTo(id);
    }

    @Test
    void refusesWorkerTokensOnUserEndpoints() {
        String id = submit(alice, "{\"type\": \"" + uniqueType() + "\"}").get("id").asString();
        String worker = TOKENS.worker("w-intake");

        assertThat(post(ApiPaths.TASKS, worker, "{\"type\": \"x\"}").status()).isEqualTo(403);
        assertThat(get(ApiPaths.TASKS, worker).status()).isEqualTo(403);
        assertThat(get(ApiPaths.TASKS + "/" + id, worker).status()).isEqualTo(403);
        assertThat(post(ApiPaths.TASKS + "/" + id + "/cancel", worker, "").status()).isEqualTo(403);
    }

    @Test
    void refusesMissingExpiredAndForgedTokens() {
        String body = "{\"type\": \"x\"}";
        assertThat(post(ApiPaths.TASKS, null, body).status()).isEqualTo(401);
        assertThat(get(ApiPaths.TASKS, null).status()).isEqualTo(401);
        assertThat(post(ApiPaths.TASKS, TOKENS.expiredUser("user-alice", "alice"), body).status()).isEqualTo(401);
        assertThat(get(ApiPaths.TASKS, TOKENS.forgedAdmin("user-root", "root")).status()).isEqualTo(401);
    }

    @Test
    void refusesBodiesOverOneMebibyte() {
        String big = "{\"type\": \"x\", \"input\": {\"blob\": \"" + "a".repeat(1024 * 1024) + "\"}}";
        assertThat(post(ApiPaths.TASKS, alice, big).status()).isEqualTo(413);
    }

    @Test
    void replaysIdempotentSubmissionWithoutStoringASecondTask() {
        String type = uniqueType();
        String body = "{\"type\": \"" + type + "\", \"idempotencyKey\": \"order-42\"}";
        Response first = post(ApiPaths.TASKS, alice, body);
        Response second = post(ApiPaths.TASKS, alice, body);

        assertThat(first.status()).isEqualTo(201);
        assertThat(second.status()).isEqualTo(200);
        assertThat(second.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(second.json().get("id").asString()).isEqualTo(first.json().get("id").asString());
        assertThat(get(ApiPaths.TASKS + "?type=" + type, alice).json().get("total").asLong()).isEqualTo(1);

        // the key is per owner: another user's identical key is another task
        assertThat(post(ApiPaths.TASKS, bob, body).status()).isEqualTo(201);
    }

    @Test
    void concurrentDuplicateSubmissionsCreateOneTask() throws Exception {
        String type = uniqueType();
        String body = "{\"type\": \"" + type + "\", \"idempotencyKey\": \"burst\"}";
        List<Callable<Response>> calls = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            calls.add(() -> post(ApiPaths.TASKS, alice, body));
        }
        List<Response> responses = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Future<Response> f : pool.invokeAll(calls)) {
                responses.add(f.get());
            }
        }

        assertThat(responses).extracting(Response::status).containsOnly(200, 201).containsOnlyOnce(201);
        assertThat(responses).extracting(r -> r.json().get("id").asString()).containsOnly(
                responses.getFirst().json().get("id").asString());
        assertThat(get(ApiPaths.TASKS + "?type=" + type, alice).json().get("total").asLong()).isEqualTo(1);
    }

    @Test
    void cancelsQueuedTaskOnceAndRefusesASecondCancel() {
        String id = submit(alice, "{\"type\": \"" + uniqueType() + "\"}").get("id").asString();

        Response cancelled = post(ApiPaths.TASKS + "/" + id + "/cancel", alice, "");
        assertThat(cancelled.status()).isEqualTo(200);
        assertThat(cancelled.json().get("status").asString()).isEqualTo("CANCELLED");
        assertThat(cancelled.json().get("error").asString()).isEqualTo("cancelled by alice");
        assertThat(cancelled.json().get("finishedAt").isNull()).isFalse();

        Response again = post(ApiPaths.TASKS + "/" + id + "/cancel", alice, "");
        assertThat(again.status()).isEqualTo(409);
    }

    @Test
    void listsOwnTasksNewestFirstInPages() {
        String type = uniqueType();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ids.add(submit(alice, "{\"type\": \"" + type + "\"}").get("id").asString());
        }

        JsonNode first = get(ApiPaths.TASKS + "?type=" + type + "&size=2", alice).json();
        assertThat(first.get("total").asLong()).isEqualTo(3);
        assertThat(first.get("page").asInt()).isZero();
        assertThat(first.get("size").asInt()).isEqualTo(2);
        assertThat(first.get("items")).extracting(t -> t.get("id").asString())
                .containsExactly(ids.get(2), ids.get(1));
        JsonNode second = get(ApiPaths.TASKS + "?type=" + type + "&size=2&page=1", alice).json();
        assertThat(second.get("items")).extracting(t -> t.get("id").asString()).containsExactly(ids.get(0));
        assertThat(second.get("total").asLong()).isEqualTo(3);

        assertThat(get(ApiPaths.TASKS + "?type=" + type + "&status=QUEUED", alice).json().get("total").asLong())
                .isEqualTo(3);
        assertThat(get(ApiPaths.TASKS + "?type=" + type + "&status=RUNNING", alice).json().get("total").asLong())
                .isZero();
        assertThat(get(ApiPaths.TASKS + "?size=201", alice).status()).isEqualTo(400);
        assertThat(get(ApiPaths.TASKS + "?status=DONE", alice).status()).isEqualTo(400);
    }

    @Test
    void publishesTheTaskMetricsUnderTheirPublicNames() {
        submit(alice, "{\"type\": \"" + uniqueType() + "\"}");

        Response scrape = get("/actuator/prometheus", null);
        assertThat(scrape.status()).isEqualTo(200);
        assertThat(scrape.body()).contains("taskmesh_tasks_submitted_total", "taskmesh_tasks_succeeded_total",
                "taskmesh_tasks_failed_total", "taskmesh_tasks_cancelled_total", "taskmesh_tasks_queued",
                "taskmesh_tasks_running", "taskmesh_tasks_dispatch_latency_seconds", "taskmesh_tasks_run_time_seconds",
                "taskmesh_agents_connected", "application=\"task-service\"");
    }
}
