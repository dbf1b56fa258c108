package dev.taskmesh.result.read;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskmesh.contract.WireJson;
import dev.taskmesh.contract.agent.AgentDestinations;
import dev.taskmesh.contract.agent.Capabilities;
import dev.taskmesh.contract.agent.Heartbeat;
import dev.taskmesh.contract.agent.TaskAssignment;
import dev.taskmesh.contract.task.TaskStatus;
import dev.taskmesh.result.TestHttp;
import dev.taskmesh.task.TaskServiceApplication;
import dev.taskmesh.testsupport.TestPostgres;
import dev.taskmesh.testsupport.TestTokens;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Type;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.messaging.converter.JacksonJsonMessageConverter;
import org.springframework.messaging.simp.stomp.StompFrameHandler;
import org.springframework.messaging.simp.stomp.StompHeaders;
import org.springframework.messaging.simp.stomp.StompSession;
import org.springframework.messaging.simp.stomp.StompSessionHandlerAdapter;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.socket.WebSocketHttpHeaders;
import org.springframework.web.socket.client.standard.StandardWebSocketClient;
import org.springframework.web.socket.messaging.WebSocketStompClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads against the real task-service, started in this JVM on the same database and the same test JWKS: it alone
 * decides who may read a task and which attempt counts.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ResultReadIT {

    private static final TestTokens TOKENS = TestTokens.shared();
    private static final TestPostgres.Database DATABASE = TestPostgres.newDatabase();
    private static @Nullable ConfigurableApplicationContext taskService;

    @TempDir
    static Path storage;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", DATABASE::url);
        registry.add("spring.datasource.username", DATABASE::username);
        registry.add("spring.datasource.password", DATABASE::password);
        TOKENS.registerJwks(registry);
        registry.add("taskmesh.results.storage-dir", () -> storage.toString());
        registry.add("taskmesh.results.task-service-url", () -> "http://127.0.0.1:" + taskServicePort());
    }

    /** Starts the task-service once, with its own application.yml (not ours, which shares the name). */
    private static synchronized int taskServicePort() {
        if (taskService == null) {
            taskService = new SpringApplicationBuilder(TaskServiceApplication.class).run(
                    "--spring.config.location=" + ownConfigOf(TaskServiceApplication.class),
                    "--server.port=0",
                    "--spring.datasource.url=" + DATABASE.url(),
                    "--spring.datasource.username=" + DATABASE.username(),
                    "--spring.datasource.password=" + DATABASE.password(),
                    "--taskmesh.security.jwks-uri=" + TOKENS.jwksUri(),
                    // no registry runs here; a closed loopback port rather than whatever listens on 8081
                    "--taskmesh.dispatch.registry-url=http://127.0.0.1:1");
        }
        return Integer.parseInt(taskService.getEnvironment().getProperty("local.server.port", "0"));
    }

    private static String ownConfigOf(Class<?> application) {
        String codeSource = application.getProtectionDomain().getCodeSource().getLocation().getPath();
        try {
            for (URL url : Collections.list(application.getClassLoader().getResources("application.yml"))) {
                if (url.getPath().contains(codeSource)) {
                    return url.toString();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("No application.yml next to " + application.getName());
    }

    @AfterAll
    static void stopTaskService() {
        if (taskService != null) {
            taskService.close();
            taskService = null;
        }
    }

    @LocalServerPort
    int port;

    @Autowired
    JsonMapper json;

    @Autowired
    Results results;

    TestHttp http;
    TestHttp tasks;
    String alice;
    String bob;

    @BeforeEach
    void setUp() {
        http = new TestHttp(port);
        tasks = new TestHttp(taskServicePort());
        alice = TOKENS.user("user-alice", "alice");
        bob = TOKENS.user("user-bob", "bob");
    }

    @Test
    void ownerReadsTheEmptyResultOfATaskThatNeverRan() {
        UUID taskId = submit(alice, "nobody");

        HttpResponse<String> response = http.get(resultPath(taskId), alice);

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode result = json.readTree(response.body());
        assertThat(result.get("taskId").asString()).isEqualTo(taskId.toString());
        assertThat(result.get("status").asString()).isEqualTo("QUEUED");
        assertThat(result.get("attempt").asInt()).isZero();
        assertThat(result.get("workerId").isNull()).isTrue();
        assertThat(result.get("output").isNull()).isTrue();
        assertThat(result.has("outputError")).isFalse();
        assertThat(result.get("files").isEmpty()).isTrue();
        assertThat(result.get("log").asString()).isEmpty();
        assertThat(result.get("logTruncated").asBoolean()).isFalse();
    }

    @Test
    void refusesReadersTheTaskServiceRefuses() {
        UUID taskId = submit(alice, "nobody");

        assertThat(http.get(resultPath(taskId), bob).statusCode()).isEqualTo(403);
        assertThat(http.get(resultPath(taskId) + "/log", bob).statusCode()).isEqualTo(403);
        assertThat(http.get(resultPath(taskId) + "/archive", bob).statusCode()).isEqualTo(403);
        assertThat(http.get(resultPath(UUID.randomUUID()), alice).statusCode()).isEqualTo(404);
        assertThat(http.get(resultPath(taskId), TOKENS.expiredUser("user-alice", "alice")).statusCode())
                .isEqualTo(401);
        assertThat(http.get(resultPath(taskId), null).statusCode()).isEqualTo(401);
        assertThat(http.get(resultPath(taskId), TOKENS.worker(UUID.randomUUID().toString())).statusCode())
                .isEqualTo(403);
        assertThat(http.get(resultPath(taskId), TOKENS.admin("admin-1", "root")).statusCode()).isEqualTo(200);
    }

    @Test
    void doesNotServeUploadsOfAnAttemptTheTaskHasNotGivenToTheirWorker() {
        UUID taskId = submit(alice, "nobody");
        String worker = TOKENS.worker(UUID.randomUUID().toString());
        assertThat(uploadFile(taskId, 1, "out.txt", worker, "text/plain", "early").statusCode()).isEqualTo(201);

        HttpResponse<String> result = http.get(resultPath(taskId), alice);

        assertThat(json.readTree(result.body()).get("files").isEmpty()).isTrue();
        assertThat(http.get(resultPath(taskId) + "/files/out.txt", alice).statusCode()).isEqualTo(404);
    }

    @Test
    void servesTheUploadsOfTheAttemptTheTaskServiceAssigned() throws Exception {
        String workerId = UUID.randomUUID().toString();
        String worker = TOKENS.worker(workerId);
        UUID taskId = submit(alice, workerId);
        // the agent stays connected while we read, so the task-service keeps the attempt where it is
        try (Agent agent = connectAgent(workerId, worker)) {
            TaskAssignment assignment = agent.nextAssignment();
            assertThat(assignment.taskId()).isEqualTo(taskId);
            assertThat(assignment.attempt()).isEqualTo(1);
            readsWhatTheAssignedWorkerUploaded(taskId, workerId, worker);
        }
    }

    private void readsWhatTheAssignedWorkerUploaded(UUID taskId, String workerId, String worker) throws IOException {

        uploadFile(taskId, 1, "result.json", worker, "application/json", "{\"answer\": 42}");
        uploadFile(taskId, 1, "out.txt", worker, "text/plain", "hello");
        uploadFile(taskId, 1, "plots/a%20b.txt", worker, "text/plain", "nested");
        assertThat(http.put(logPath(taskId, 1), worker, "text/plain", BodyPublishers.ofString("line 1\nline 2\n"))
                .statusCode()).isEqualTo(204);
        // a stale worker's attempt that is not the current one
        uploadFile(taskId, 2, "stale.txt", TOKENS.worker(UUID.randomUUID().toString()), "text/plain", "stale");

        JsonNode result = json.readTree(http.get(resultPath(taskId), alice).body());
        assertThat(result.get("attempt").asInt()).isEqualTo(1);
        assertThat(result.get("workerId").asString()).isEqualTo(workerId);
        assertThat(result.get("output").get("answer").asInt()).isEqualTo(42);
        assertThat(result.get("files").valueStream().map(f -> f.get("name").asString()))
                .containsExactly("out.txt", "plots/a b.txt", "result.json");
        JsonNode nested = result.get("files").get(1);
        assertThat(nested.get("size").asLong()).isEqualTo(6);
        assertThat(nested.get("url").asString()).isEqualTo(resultPath(taskId) + "/files/plots/a%20b.txt");
        assertThat(result.get("log").asString()).isEqualTo("line 1\nline 2\n");

        HttpResponse<byte[]> file = http.getBytes(nested.get("url").asString(), alice);
        assertThat(file.statusCode()).isEqualTo(200);
        assertThat(new String(file.body(), StandardCharsets.UTF_8)).isEqualTo("nested");
        assertThat(file.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
        assertThat(file.headers().firstValue("Content-Disposition")).hasValueSatisfying(d -> assertThat(d)
                .startsWith("attachment").contains("a b.txt"));
        assertThat(file.headers().firstValue("Content-Length")).hasValue("6");
        assertThat(file.headers().firstValue("ETag")).hasValue("\"" + nested.get("sha256").asString() + "\"");
        assertThat(http.getBytes(nested.get("url").asString(), alice, "If-None-Match",
                "\"" + nested.get("sha256").asString() + "\"").statusCode()).isEqualTo(304);
        assertThat(http.get(resultPath(taskId) + "/files/stale.txt", alice).statusCode()).isEqualTo(404);
        assertThat(http.get(resultPath(taskId) + "/files/out.txt", bob).statusCode()).isEqualTo(403);

        HttpResponse<String> log = http.get(resultPath(taskId) + "/log", alice);
        assertThat(log.body()).isEqualTo("line 1\nline 2\n");
        assertThat(log.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));

        HttpResponse<byte[]> archive = http.getBytes(resultPath(taskId) + "/archive", alice);
        assertThat(archive.statusCode()).isEqualTo(200);
        assertThat(archive.headers().firstValue("Content-Disposition")).hasValueSatisfying(d -> assertThat(d)
                .contains("task-" + taskId + ".zip"));
        assertThat(unzip(archive.body())).containsExactlyInAnyOrderEntriesOf(Map.of(
                "result.json", "{\"answer\": 42}", "out.txt", "hello", "plots/a b.txt", "nested",
                "log.txt", "line 1\nline 2\n"));
    }

    @Test
    void reportsAnInvalidResultJsonAndKeepsOnlyTheEndOfALongLog() {
        UUID taskId = UUID.randomUUID();
        String workerId = UUID.randomUUID().toString();
        String worker = TOKENS.worker(workerId);
        uploadFile(taskId, 1, "result.json", worker, "application/json", "{\"answer\": ");
        // 1.5 MiB of three-byte characters: the 1 MiB cut falls inside one of them
        String longLog = "€".repeat(512 * 1024) + "the end\n";
        http.put(logPath(taskId, 1), worker, "text/plain", BodyPublishers.ofString(longLog));

        TaskResult result = results.resultOf(new TaskSnapshot(taskId, TaskStatus.SUCCEEDED, 1, workerId, null));
        TaskResult strangers = results.resultOf(new TaskSnapshot(taskId, TaskStatus.SUCCEEDED, 1, "someone-else", null));

        assertThat(result.output()).isNull();
        assertThat(result.outputError()).startsWith("result.json is not valid JSON");
        assertThat(result.files()).extracting(TaskResult.ResultFile::name).containsExactly("result.json");
        assertThat(result.logTruncated()).isTrue();
        assertThat(result.log()).endsWith("€€the end\n").doesNotContain("\uFFFD");
        assertThat(result.log().getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(Results.LOG_TAIL_BYTES);
        assertThat(strangers.files()).isEmpty();
        assertThat(strangers.log()).isEmpty();
        assertThat(strangers.output()).isNull();
    }

    @Test
    void showsTheOutputThatCameWithTheCompletionAndPutsItInTheArchive() throws IOException {
        UUID taskId = UUID.randomUUID();
        String workerId = UUID.randomUUID().toString();
        uploadFile(taskId, 1, "out.txt", TOKENS.worker(workerId), "text/plain", "hello");
        JsonNode output = WireJson.mapper().readTree("{\"answer\": 42}");
        TaskSnapshot task = new TaskSnapshot(taskId, TaskStatus.SUCCEEDED, 1, workerId, output);

        TaskResult result = results.resultOf(task);
        ByteArrayOutputStream archive = new ByteArrayOutputStream();
        results.writeArchive(task, archive);

        assertThat(result.output()).isEqualTo(output);
        assertThat(result.outputError()).isNull();
        assertThat(result.files()).extracting(TaskResult.ResultFile::name).containsExactly("out.txt");
        assertThat(unzip(archive.toByteArray())).containsExactlyInAnyOrderEntriesOf(Map.of(
                "out.txt", "hello", "result.json", "{\"answer\":42}"));
    }

    /** Submits a {@code command} task that only {@code targetWorker} may run. */
    private UUID submit(String token, String targetWorker) {
        HttpResponse<String> response = tasks.postJson("/api/v1/tasks", token, """
                {"type": "command", "input": {"argv": ["true"]}, "targetWorkers": ["%s"]}""".formatted(targetWorker));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return UUID.fromString(json.readTree(response.body()).get("id").asString());
    }

    /** Connects as the agent of {@code workerId} over STOMP, the way the worker-agent does, and offers one slot. */
    private Agent connectAgent(String workerId, String token) throws Exception {
        var client = new WebSocketStompClient(new StandardWebSocketClient());
        client.setMessageConverter(new JacksonJsonMessageConverter(WireJson.mapper()));
        var connect = new StompHeaders();
        connect.add(AgentDestinations.WORKER_ID_HEADER, workerId);
        connect.add(AgentDestinations.AUTHORIZATION_HEADER, "Bearer " + token);
        StompSession session = client.connectAsync(URI.create("ws://127.0.0.1:" + taskServicePort()
                        + AgentDestinations.ENDPOINT), new WebSocketHttpHeaders(), connect,
                new StompSessionHandlerAdapter() { }).get(10, TimeUnit.SECONDS);
        var agent = new Agent(client, session, new LinkedBlockingQueue<>());
        session.subscribe(AgentDestinations.USER_PREFIX + AgentDestinations.ASSIGNMENTS, new StompFrameHandler() {
            @Override
            public Type getPayloadType(StompHeaders headers) {
                return TaskAssignment.class;
            }

            @Override
            public void handleFrame(StompHeaders headers, @Nullable Object payload) {
                agent.assignments().add((TaskAssignment) payload);
            }
        });
        var capabilities = new Capabilities(2, 1024, List.of(), List.of("command"), List.of(), 1, "test-node", "test");
        session.send(AgentDestinations.HEARTBEAT, new Heartbeat(capabilities, List.of(), 1, Instant.now()));
        return agent;
    }

    private record Agent(WebSocketStompClient client, StompSession session, BlockingQueue<TaskAssignment> assignments)
            implements AutoCloseable {

        TaskAssignment nextAssignment() throws InterruptedException {
            TaskAssignment assignment = assignments.poll(20, TimeUnit.SECONDS);
            assertThat(assignment).as("an assignment pushed to the agent").isNotNull();
            return assignment;
        }

        @Override
        public void close() {
            session.disconnect();
            client.stop();
        }
    }

    private HttpResponse<String> uploadFile(UUID taskId, int attempt, String rawName, String token, String type,
                                            String content) {
        return http.put("/api/v1/tasks/" + taskId + "/attempts/" + attempt + "/files/" + rawName, token, type,
                BodyPublishers.ofString(content));
    }

    private static String logPath(UUID taskId, int attempt) {
        return "/api/v1/tasks/" + taskId + "/attempts/" + attempt + "/log";
    }

    private static String resultPath(UUID taskId) {
        return "/api/v1/tasks/" + taskId + "/result";
    }

    private static Map<String, String> unzip(byte[] zip) throws IOException {
        Map<String, String> entries = new LinkedHashMap<>();
        try (var in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
                entries.put(entry.getName(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        return entries;
    }
}
