package dev.taskmesh.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.local.GatewayApi.Answer;
import dev.taskmesh.testsupport.TestTokens;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import tools.jackson.databind.JsonNode;

/**
 * The whole platform as {@code ./taskmesh dev} starts it (embedded PostgreSQL, the four services, a local agent,
 * all from their executable jars), driven through the gateway only, like a user would.
 */
@Order(1) // before the crash tests: each class starts a platform of its own, one at a time
class PlatformEndToEndIT {

    private static final Duration STATUS_TIMEOUT = Duration.ofSeconds(120);
    private static final String ADMIN_PASSWORD = "e2e-admin-" + UUID.randomUUID();
    private static final String ALICE_PASSWORD = "alice-password-1";
    private static final String BOB_PASSWORD = "bob-password-1";

    private static LocalPlatform platform;
    private static GatewayApi api;
    private static Path dataDirectory;
    private static String adminToken;
    private static String aliceToken;
    private static String bobToken;
    /** Every task alice submitted successfully: her list must show exactly these. */
    private static final Set<String> aliceTasks = ConcurrentHashMap.newKeySet();

    @RegisterExtension
    static final TestWatcher printLogsOnFailure = new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            if (platform != null) {
                System.err.println("Logs after the failure of " + context.getDisplayName() + ":\n" + platform.logTails(80));
            }
        }
    };

    @BeforeAll
    static void startPlatformAndCreateUsers() throws IOException {
        // Maven runs this in deploy/local; -Dtaskmesh.repository=<dir> tests jars built elsewhere
        Path repository = Path.of(System.getProperty("taskmesh.repository",
                Path.of("").toAbsolutePath().resolve("../..").toString())).normalize();
        List<Path> missing = Stream.of(Component.values())
                .map(component -> component.jar(repository))
                .filter(jar -> !Files.isRegularFile(jar))
                .toList();
        assertThat(missing).as("executable jars (package the modules first: ./mvnw -DskipTests package)").isEmpty();

        dataDirectory = Files.createTempDirectory("taskmesh-e2e-");
        var config = LocalPlatformConfig.of(repository, dataDirectory, 0)
                .withAdminPassword(ADMIN_PASSWORD)
                .withHealthTimeout(Duration.ofSeconds(180));
        platform = new LocalPlatform(config);
        try {
            platform.start();
        } catch (RuntimeException e) {
            System.err.println("The platform did not start:\n" + platform.logTails(80));
            throw e;
        }
        System.out.println("Platform ready in " + platform.startupTime().orElseThrow() + "; logs in "
                + platform.logDirectory());
        api = new GatewayApi(platform.gatewayUrl());

        adminToken = api.token("admin", ADMIN_PASSWORD);
        createUser("alice", ALICE_PASSWORD);
        createUser("bob", BOB_PASSWORD);
        aliceToken = api.token("alice", ALICE_PASSWORD);
        bobToken = api.token("bob", BOB_PASSWORD);
    }

    @AfterAll
    static void stopPlatform() throws IOException {
        if (platform != null) {
            platform.stop();
            System.out.println("Child logs kept in " + platform.logDirectory());
        }
        if (dataDirectory != null) {
            // the logs stay for diagnosis; the database files are the bulk and tell nothing more
            deleteTree(dataDirectory.resolve("postgres"));
        }
    }

    @Test
    void commandTaskRunsWithProgressAndKeepsItsOutputs() throws IOException {
        // given a script that reports progress, writes outputs, then waits for the test to let it finish
        Path release = dataDirectory.resolve("release-" + UUID.randomUUID());
        String script = String.join("\n",
                "echo '::progress 40 Preparing'",
                "echo 'hello from alice'",
                "printf '{\"answer\":42}' > \"$TASKMESH_OUTPUT_DIR/result.json\"",
                "mkdir -p \"$TASKMESH_OUTPUT_DIR/out\"",
                "printf 'forty-two\\n' > \"$TASKMESH_OUTPUT_DIR/out/data.txt\"",
                "echo '::progress 90 Finishing'",
                "for i in $(seq 1 1800); do [ -e \"$RELEASE_MARKER\" ] && break; sleep 0.1; done",
                "echo 'released'");
        JsonNode created = submit(aliceToken, Map.of("type", "command",
                "input", Map.of("argv", List.of("bash", "-c", script), "env", Map.of("RELEASE_MARKER", release.toString())),
                // the label is a hard requirement: only the local worker (created and started with it) may run this
                "requirements", Map.of("labels", List.of("local")),
                "maxAttempts", 1));
        String id = created.path("id").asString();
        List<String> statuses = new CopyOnWriteArrayList<>(List.of(created.path("status").asString()));

        // when it runs
        JsonNode running = awaitTask(id, aliceToken, statuses,
                task -> "RUNNING".equals(task.path("status").asString()) && task.path("progress").path("percent").asInt() == 90);

        // then its progress is there while it runs, with the first stage closed as a step
        String localWorkerId = platform.localWorker().orElseThrow().id();
        assertThat(running.path("progress").path("stage").asString()).isEqualTo("Finishing");
        assertThat(running.path("attempt").asInt()).isEqualTo(1);
        assertThat(running.path("workerId").asString()).isEqualTo(localWorkerId);
        JsonNode preparing = step(running, "Preparing");
        assertThat(preparing.path("startedAt").asString("")).isNotEmpty();
        assertThat(preparing.path("finishedAt").asString("")).isNotEmpty();
        assertThat(preparing.path("durationMs").asLong(-1)).isGreaterThanOrEqualTo(0);

        Files.writeString(release, "go");
        JsonNode finished = awaitTask(id, aliceToken, statuses, PlatformEndToEndIT::isFinal);
        assertThat(finished.path("status").asString()).as("task %s", finished).isEqualTo("SUCCEEDED");
        assertThat(statuses).containsSubsequence("QUEUED", "RUNNING", "SUCCEEDED").doesNotContain("FAILED");
        assertThat(finished.path("attempt").asInt()).isEqualTo(1);
        assertThat(finished.path("workerId").asString()).isEqualTo(localWorkerId);
        assertThat(finished.path("progress").path("percent").asInt()).isGreaterThanOrEqualTo(90);
        step(finished, "Preparing");
        assertThat(finished.path("finishedAt").asString("")).isNotEmpty();

        // and its result: output JSON, files with size and digest, the log, each file, the archive
        Answer resultAnswer = awaitAnswer(ApiPaths.TASKS + "/" + id + "/result", aliceToken);
        JsonNode result = resultAnswer.json();
        assertThat(result.path("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(result.path("output").path("answer").asInt()).as("result %s", resultAnswer).isEqualTo(42);
        Map<String, JsonNode> files = new HashMap<>();
        result.path("files").values().forEach(file -> files.put(file.path("name").asString(), file));
        assertThat(files).containsKeys(ApiPaths.RESULT_JSON, "out/data.txt");
        assertFile(files.get(ApiPaths.RESULT_JSON), "{\"answer\":42}");
        assertFile(files.get("out/data.txt"), "forty-two\n");
        assertThat(result.path("log").asString()).contains("hello from alice", "released");

        String dataUrl = files.get("out/data.txt").path("url").asString();
        assertThat(dataUrl).isEqualTo(ApiPaths.TASKS + "/" + id + "/result/files/out/data.txt");
        Answer data = api.get(dataUrl, aliceToken);
        assertThat(data.status()).as("%s", data).isEqualTo(200);
        assertThat(data.text()).isEqualTo("forty-two\n");

        Answer archive = api.get(ApiPaths.TASKS + "/" + id + "/result/archive", aliceToken);
        assertThat(archive.status()).as("%s", archive).isEqualTo(200);
        Map<String, String> entries = unzip(archive.body());
        assertThat(entries).containsKeys("out/data.txt", "log.txt");
        assertThat(entries.get("out/data.txt")).isEqualTo("forty-two\n");
        assertThat(entries.get("log.txt")).contains("hello from alice");
    }

    @Test
    void failingCommandEndsFailedWithItsExitCodeAndStderr() {
        JsonNode created = submit(aliceToken, Map.of("type", "command",
                "input", Map.of("argv", List.of("bash", "-c", "echo 'cannot open input.csv' >&2; exit 3")),
                "maxAttempts", 1));

        JsonNode failed = awaitTask(created.path("id").asString(), aliceToken, new ArrayList<>(),
                PlatformEndToEndIT::isFinal);

        assertThat(failed.path("status").asString()).as("task %s", failed).isEqualTo("FAILED");
        assertThat(failed.path("error").asString("")).contains("exit code 3", "cannot open input.csv");
    }

    @Test
    void refusesMissingForgedForeignAndWorkerTokens() {
        String id = submit(aliceToken, Map.of("type", "command", "input", Map.of("argv", List.of("true"))))
                .path("id").asString();

        assertThat(api.get(ApiPaths.TASKS, null).status()).isEqualTo(401);
        String forged = TestTokens.shared().forgedAdmin(UUID.randomUUID().toString(), "admin");
        assertThat(api.get(ApiPaths.TASKS, forged).status()).isEqualTo(401);

        assertThat(api.get(ApiPaths.TASKS + "/" + id, bobToken).status()).isEqualTo(403);
        assertThat(api.get(ApiPaths.TASKS + "/" + id + "/result", bobToken).status()).isEqualTo(403);

        String workerToken = api.workerToken(platform.localWorker().orElseThrow());
        assertThat(api.get(ApiPaths.TASKS, workerToken).status()).isEqualTo(403);
        assertThat(api.post(ApiPaths.USERS, workerToken,
                Map.of("username", "mallory", "password", "mallory-password", "roles", List.of("ADMIN"))).status())
                .isEqualTo(403);
    }

    @Test
    void refusesBadInputWithProblemDetailsAndKeepsNothingOfIt() {
        Answer malformed = api.postRaw(ApiPaths.TASKS, aliceToken, "{\"type\": \"command\", \"input\": ");
        assertThat(malformed.status()).as("%s", malformed).isEqualTo(400);
        assertThat(malformed.contentType()).startsWith("application/problem+json");

        Answer noArgv = api.post(ApiPaths.TASKS, aliceToken, Map.of("type", "command", "input", Map.of()));
        assertThat(noArgv.status()).as("%s", noArgv).isEqualTo(400);
        assertThat(noArgv.contentType()).startsWith("application/problem+json");
        assertThat(noArgv.text()).contains("argv");

        Answer unknown = api.get(ApiPaths.TASKS + "/" + UUID.randomUUID(), aliceToken);
        assertThat(unknown.status()).as("%s", unknown).isEqualTo(404);

        Answer duplicate = api.post(ApiPaths.USERS, adminToken,
                Map.of("username", "alice", "password", "another-password", "roles", List.of("USER")));
        assertThat(duplicate.status()).as("%s", duplicate).isEqualTo(409);

        String twoMebibytes = "x".repeat(2 * 1024 * 1024);
        Answer tooLarge = api.post(ApiPaths.TASKS, aliceToken,
                Map.of("type", "command", "input", Map.of("argv", List.of("true"), "blob", twoMebibytes)));
        assertThat(tooLarge.status()).as("%s", tooLarge).isEqualTo(413);

        Answer list = api.get(ApiPaths.TASKS + "?size=100", aliceToken);
        assertThat(list.status()).as("%s", list).isEqualTo(200);
        List<String> ids = list.json().path("items").values().stream().map(task -> task.path("id").asString()).toList();
        assertThat(ids).containsExactlyInAnyOrderElementsOf(aliceTasks);
        assertThat(list.json().path("total").asInt()).isEqualTo(aliceTasks.size());
    }

    @Test
    void localWorkerIsOnlineWithItsCpus() {
        String workerId = platform.localWorker().orElseThrow().id();
        AtomicReference<JsonNode> listed = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            Answer workers = api.get(ApiPaths.WORKERS, adminToken);
            assertThat(workers.status()).as("%s", workers).isEqualTo(200);
            JsonNode body = workers.json();
            JsonNode items = body.isArray() ? body : body.path("items");
            JsonNode worker = items.values().stream()
                    .filter(candidate -> workerId.equals(candidate.path("id").asString("")))
                    .findFirst().orElseThrow(() -> new AssertionError("worker " + workerId + " not in " + body));
            assertThat(worker.path("status").asString()).as("%s", worker).isEqualTo("ONLINE");
            JsonNode cpus = worker.findValue("cpus");
            assertThat(cpus).as("cpus in %s", worker).isNotNull();
            assertThat(cpus.asInt()).isGreaterThan(0);
            listed.set(worker);
        });
        assertThat(listed.get().path("name").asString()).isEqualTo("local");
    }

    private static void createUser(String username, String password) {
        Answer created = api.post(ApiPaths.USERS, adminToken,
                Map.of("username", username, "password", password, "roles", List.of("USER")));
        assertThat(created.status()).as("create %s: %s", username, created).isEqualTo(201);
    }

    private static JsonNode submit(String token, Map<String, Object> task) {
        Answer answer = api.post(ApiPaths.TASKS, token, task);
        assertThat(answer.status()).as("submit: %s", answer).isEqualTo(201);
        JsonNode created = answer.json();
        assertThat(created.path("status").asString()).isEqualTo("QUEUED");
        if (token.equals(aliceToken)) {
            aliceTasks.add(created.path("id").asString());
        }
        return created;
    }

    /** Polls the task until {@code condition}; records each status change in {@code statuses}. */
    private static JsonNode awaitTask(String id, String token, List<String> statuses,
                                      Predicate<JsonNode> condition) {
        AtomicReference<JsonNode> last = new AtomicReference<>();
        try {
            await().atMost(STATUS_TIMEOUT).pollInterval(Duration.ofMillis(100)).until(() -> {
                Answer answer = api.get(ApiPaths.TASKS + "/" + id, token);
                assertThat(answer.status()).as("%s", answer).isEqualTo(200);
                JsonNode task = answer.json();
                last.set(task);
                String status = task.path("status").asString();
                if (statuses.isEmpty() || !statuses.getLast().equals(status)) {
                    statuses.add(status);
                }
                return condition.test(task);
            });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("task " + id + " after " + STATUS_TIMEOUT.toSeconds() + " s, statuses seen "
                    + statuses + ", last: " + last.get(), e);
        }
        return last.get();
    }

    private static Answer awaitAnswer(String path, String token) {
        AtomicReference<Answer> last = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            Answer answer = api.get(path, token);
            last.set(answer);
            assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        });
        return last.get();
    }

    private static boolean isFinal(JsonNode task) {
        return Set.of("SUCCEEDED", "FAILED", "CANCELLED").contains(task.path("status").asString());
    }

    private static JsonNode step(JsonNode task, String name) {
        return task.path("progress").path("steps").values().stream()
                .filter(step -> name.equals(step.path("name").asString("")))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no step " + name + " in " + task.path("progress")));
    }

    private static void assertFile(JsonNode file, String content) {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        assertThat(file.path("size").asLong()).as("%s", file).isEqualTo(bytes.length);
        assertThat(file.path("sha256").asString()).as("%s", file).isEqualTo(sha256(bytes));
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    private static Map<String, String> unzip(byte[] zip) throws IOException {
        Map<String, String> entries = new HashMap<>();
        try (var in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
                if (!entry.isDirectory()) {
                    entries.put(entry.getName(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
                }
            }
        }
        return entries;
    }
}
