package dev.taskmesh.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.local.GatewayApi.Answer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestWatcher;
import tools.jackson.databind.JsonNode;

/**
 * One platform for the tests that crash things ({@link CrashRecoveryIT}, {@link SoakIT}), started once for all of
 * them: a short lease ({@value #LEASE_TEXT}, agents beating every second) so that a lost agent's tasks come back
 * quickly, and three agents {@code a}, {@code b}, {@code c} with {@value #SLOTS} slots each and the label
 * {@value #LABEL}. Tests give their tasks that label (or other labels no shared agent has), so that the workers they
 * create for themselves never take another test's tasks. Each test uses its own user: its task list is its own.
 */
final class CrashPlatform implements AutoCloseable {

    static final String LEASE_TEXT = "5s";
    static final Duration LEASE = Duration.ofSeconds(5);
    static final String LABEL = "crash";
    static final List<String> AGENTS = List.of("a", "b", "c");
    static final int SLOTS = 4;
    static final Set<String> FINAL = Set.of("SUCCEEDED", "FAILED", "CANCELLED");

    private static final String ADMIN_PASSWORD = "crash-admin-" + UUID.randomUUID();

    final LocalPlatform platform;
    final GatewayApi api;
    final Path dataDirectory;
    final String adminToken;
    /**
     * {@code bash <script> <marker>}: re-runs itself once with {@code <marker>:attempt=<n>:} as its argument and in
     * {@code CRASH_MARKER} (inherited by its children), prints a progress line, then waits until the file named by
     * {@code RELEASE} exists. The attempt number in the marker tells the processes of two attempts apart.
     */
    final Path waitScript;
    /** Like {@link #waitScript}, but starts two {@code sleep 1000} children first and then waits for them. */
    final Path childrenScript;

    private CrashPlatform(LocalPlatform platform, Path dataDirectory) {
        this.platform = platform;
        this.dataDirectory = dataDirectory;
        this.api = new GatewayApi(platform.gatewayUrl());
        this.adminToken = api.token("admin", ADMIN_PASSWORD);
        this.waitScript = script("wait-for-release.sh", """
                #!/bin/bash
                if [ -z "$CRASH_MARKER" ]; then
                  CRASH_MARKER="$1:attempt=$TASKMESH_ATTEMPT:" exec bash "$0" "$1:attempt=$TASKMESH_ATTEMPT:"
                fi
                echo "::progress 10 Waiting for the release marker"
                echo "attempt $TASKMESH_ATTEMPT waiting"
                while [ ! -e "$RELEASE" ]; do sleep 0.2; done
                echo "released: attempt $TASKMESH_ATTEMPT"
                """);
        this.childrenScript = script("children.sh", """
                #!/bin/bash
                if [ -z "$CRASH_MARKER" ]; then
                  CRASH_MARKER="$1:attempt=$TASKMESH_ATTEMPT:" exec bash "$0" "$1:attempt=$TASKMESH_ATTEMPT:"
                fi
                sleep 1000 &
                sleep 1000 &
                echo "partial output of attempt $TASKMESH_ATTEMPT before the cancel"
                echo "::progress 10 Children started"
                wait
                """);
    }

    /** The platform of this test run, started by the first test class that asks for it, stopped after the last. */
    static CrashPlatform shared(ExtensionContext context) {
        return context.getRoot().getStore(ExtensionContext.Namespace.create(CrashPlatform.class))
                .computeIfAbsent(CrashPlatform.class, type -> start(), CrashPlatform.class);
    }

    private static CrashPlatform start() {
        // Maven runs this in deploy/local; -Dtaskmesh.repository=<dir> tests jars built elsewhere
        Path repository = Path.of(System.getProperty("taskmesh.repository",
                Path.of("").toAbsolutePath().resolve("../..").toString())).normalize();
        List<Path> missing = Stream.of(Component.values())
                .map(component -> component.jar(repository))
                .filter(jar -> !Files.isRegularFile(jar))
                .toList();
        assertThat(missing).as("executable jars (package the modules first: ./mvnw -DskipTests package)").isEmpty();
        Path data;
        try {
            data = Files.createTempDirectory("taskmesh-crash-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        var config = LocalPlatformConfig.of(repository, data, 0)
                .withAdminPassword(ADMIN_PASSWORD)
                .withAgent(false)
                .withHealthTimeout(Duration.ofSeconds(240))
                .withEnvironment(Component.TASK_SERVICE, Map.of("TASKMESH_DISPATCH_LEASE", LEASE_TEXT,
                        // longer than the agents' reconnect backoff (30 s at most), shorter than the tests' waits
                        "TASKMESH_DISPATCH_RESTARTGRACE", "35s"))
                // several heartbeats per lease, so that a slow moment does not cost a healthy agent its tasks
                .withEnvironment(Component.WORKER_AGENT, Map.of("TASKMESH_HEARTBEAT_INTERVAL", "1s"))
                .withAgents(AGENTS.stream()
                        .map(name -> new AgentSpec(name, List.of(LABEL, "agent-" + name), SLOTS))
                        .toArray(AgentSpec[]::new));
        var platform = new LocalPlatform(config);
        try {
            platform.start();
        } catch (RuntimeException e) {
            System.err.println("The platform did not start:\n" + platform.logTails(80));
            throw e;
        }
        System.out.println("Crash-test platform ready in " + platform.startupTime().orElseThrow() + "; logs in "
                + platform.logDirectory());
        return new CrashPlatform(platform, data);
    }

    @Override
    public void close() throws IOException {
        platform.stop();
        System.out.println("Crash-test child logs kept in " + platform.logDirectory());
        // the logs stay for diagnosis; the database files are the bulk and tell nothing more
        deleteTree(dataDirectory.resolve("postgres"));
    }

    /** A new user (unique name) and its access token. */
    String newUser(String prefix) {
        String username = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        String password = "password-" + UUID.randomUUID();
        Answer created = api.post(ApiPaths.USERS, adminToken,
                Map.of("username", username, "password", password, "roles", List.of("USER")));
        assertThat(created.status()).as("create %s: %s", username, created).isEqualTo(201);
        return api.token(username, password);
    }

    /** A new worker created through the API, as an administrator does for a real agent. */
    LocalWorker newWorker(String name, List<String> labels) {
        Answer created = api.post(ApiPaths.WORKERS, adminToken, Map.of("name", name, "labels", labels));
        assertThat(created.status()).as("create worker %s: %s", name, created).isIn(200, 201);
        return new LocalWorker(created.json().path("id").asString(), created.json().path("token").asString());
    }

    /** Submits a task that must be accepted; answers the created task. */
    JsonNode submit(String token, Map<String, Object> task) {
        Answer answer = api.post(ApiPaths.TASKS, token, task);
        assertThat(answer.status()).as("submit: %s", answer).isEqualTo(201);
        return answer.json();
    }

    /** A command task running {@link #waitScript} until {@code release} exists. */
    static Map<String, Object> waitingTask(Path script, String marker, Path release, List<String> labels,
                                           int maxAttempts) {
        return Map.of("type", "command",
                "input", Map.of("argv", List.of("bash", script.toString(), marker),
                        "env", Map.of("RELEASE", release.toString())),
                "requirements", Map.of("labels", labels),
                "maxAttempts", maxAttempts);
    }

    JsonNode task(String token, String id) {
        Answer answer = api.get(ApiPaths.TASKS + "/" + id, token);
        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        return answer.json();
    }

    /** Polls the task until {@code condition}; the assertion error shows the last state seen. */
    JsonNode awaitTask(String token, String id, Duration timeout, String what, Predicate<JsonNode> condition) {
        AtomicReference<JsonNode> last = new AtomicReference<>();
        try {
            await().atMost(timeout).pollInterval(Duration.ofMillis(200)).until(() -> {
                JsonNode task = task(token, id);
                last.set(task);
                return condition.test(task);
            });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("task " + id + " not " + what + " after " + timeout.toSeconds() + " s; last: "
                    + last.get(), e);
        }
        return last.get();
    }

    /** Every task of the caller, newest first, read page by page. */
    List<JsonNode> allTasks(String token) {
        List<JsonNode> all = new ArrayList<>();
        for (int page = 0; ; page++) {
            Answer answer = api.get(ApiPaths.TASKS + "?size=200&page=" + page, token);
            assertThat(answer.status()).as("%s", answer).isEqualTo(200);
            List<JsonNode> items = answer.json().path("items").values().stream().toList();
            all.addAll(items);
            if (items.size() < 200) {
                return all;
            }
        }
    }

    /** How many of the caller's tasks have this status ({@code total} of a one-item page). */
    long count(String token, String status) {
        Answer answer = api.get(ApiPaths.TASKS + "?size=1&status=" + status, token);
        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        return answer.json().path("total").asLong();
    }

    static boolean isFinal(JsonNode task) {
        return FINAL.contains(task.path("status").asString());
    }

    static List<JsonNode> attempts(JsonNode task) {
        return task.path("attempts").values().stream().toList();
    }

    /** The attempt rows of a task with this status. */
    static long attemptsWith(JsonNode task, String status) {
        return attempts(task).stream().filter(a -> status.equals(a.path("status").asString())).count();
    }

    /** Creates a file that releases the tasks waiting for it. */
    static void release(Path marker) {
        try {
            Files.writeString(marker, "go");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path newMarkerPath(String prefix) {
        return dataDirectory.resolve(prefix + "-" + UUID.randomUUID());
    }

    private Path script(String name, String text) {
        try {
            Path folder = Files.createDirectories(dataDirectory.resolve("scripts"));
            Path script = folder.resolve(name);
            Files.writeString(script, text);
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
            return script;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
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

    /**
     * Gives test methods and {@code @BeforeAll} methods the shared platform, and prints the children's logs when a
     * test fails.
     */
    static final class Extension implements ParameterResolver, TestWatcher {

        @Override
        public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
            return parameter.getParameter().getType() == CrashPlatform.class;
        }

        @Override
        public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
            return shared(context);
        }

        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            CrashPlatform crash = context.getRoot()
                    .getStore(ExtensionContext.Namespace.create(CrashPlatform.class))
                    .get(CrashPlatform.class, CrashPlatform.class);
            if (crash != null) {
                System.err.println("Logs after the failure of " + context.getDisplayName() + ":\n"
                        + crash.platform.logTails(80));
            }
        }
    }
}
