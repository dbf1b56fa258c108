package dev.taskmesh.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.contract.WireJson;
import dev.taskmesh.local.GatewayApi.Answer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import tools.jackson.databind.JsonNode;

/**
 * The web dashboard in a real headless Chromium against the whole platform (one {@link LocalPlatform} for all
 * tests: embedded PostgreSQL, the four services and the local agent, from their jars), as an admin, alice and bob
 * use it. The tests run in order, as one story: the admin creates alice and bob, alice runs a task, bob may not see
 * it. Each test opens a browser of its own (a fresh profile: nothing carries over but the server's state).
 *
 * <p>The tests save screenshots of the main pages in {@code target/screenshots/} (the README shows copies of them
 * from {@code docs/images/}), and on a failure the window and the page's HTML as {@code failed-<test>.*}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardBrowserIT {

    private static final String ADMIN_PASSWORD = "browser-admin-" + UUID.randomUUID();
    private static final String ALICE_PASSWORD = "alice-password-1";
    private static final String BOB_PASSWORD = "bob-password-1";
    private static final Duration FILE_TIMEOUT = Duration.ofSeconds(60);
    private static final Pattern SECRETS = Pattern.compile(
            "(\"(?:postData|bytes|Authorization|authorization|Cookie|cookie)\":)\"(?:[^\"\\\\]|\\\\.)*\"");

    private static Path repository;
    private static Path dataDirectory;
    private static LocalPlatform platform;
    private static GatewayApi api;
    private static String adminToken;
    private static FakeGpuAgent gpuAgent;
    /** alice's task, made in her test and looked for in bob's. */
    private static String aliceTaskId;
    private static volatile Dashboard current;
    private static volatile Chromium.Browser currentBrowser;

    private Chromium.Browser browser;
    private Dashboard page;

    /** On a failure: the window and the page as they were, before the browser is closed, and the services' logs. */
    @RegisterExtension
    static final AfterTestExecutionCallback keepEvidenceOfFailures = context -> {
        Dashboard failed = current;
        if (context.getExecutionException().isEmpty() || failed == null) {
            return;
        }
        String name = "failed-" + context.getRequiredTestMethod().getName();
        try {
            System.err.println("Page at the failure: " + failed.driver().getCurrentUrl() + ", screenshot "
                    + failed.evidence(name).toAbsolutePath());
            Files.writeString(Dashboard.SCREENSHOTS.resolve(name + ".html"), failed.driver().getPageSource());
        } catch (RuntimeException | IOException e) {
            System.err.println("No screenshot of the failure: " + e);
        }
        saveBrowserLogs(failed, Dashboard.SCREENSHOTS.resolve(name + "-browser.log"));
        try {
            Files.copy(currentBrowser.profile().resolve("netlog.json"),
                    Dashboard.SCREENSHOTS.resolve(name + "-netlog.json"), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            System.err.println("No net log: " + e);
        }
        if (platform != null) {
            System.err.println("Logs after the failure:\n" + platform.logTails(60));
            saveThreadDumps(Dashboard.SCREENSHOTS.resolve(name + "-threads.txt"));
        }
        if (gpuAgent != null) {
            System.err.println("----- gpu agent\n" + gpuAgent.logTail(40));
        }
    };

    @BeforeAll
    static void startPlatform() throws IOException {
        Chromium.requireInstalled();
        deleteEvidenceOfEarlierFailures();
        // Maven runs this in deploy/local; -Dtaskmesh.repository=<dir> tests jars built elsewhere
        repository = Path.of(System.getProperty("taskmesh.repository",
                Path.of("").toAbsolutePath().resolve("../..").toString())).normalize();
        List<Path> missing = Stream.of(Component.values())
                .map(component -> component.jar(repository))
                .filter(jar -> !Files.isRegularFile(jar))
                .toList();
        assertThat(missing).as("executable jars (package the modules first: ./mvnw -DskipTests package)").isEmpty();

        dataDirectory = Files.createTempDirectory("taskmesh-browser-");
        platform = new LocalPlatform(LocalPlatformConfig.of(repository, dataDirectory, 0)
                .withAdminPassword(ADMIN_PASSWORD)
                .withHealthTimeout(Duration.ofSeconds(180)));
        try {
            platform.start();
        } catch (RuntimeException e) {
            System.err.println("The platform did not start:\n" + platform.logTails(80));
            throw e;
        }
        System.out.println("Platform ready in " + platform.startupTime().orElseThrow() + " at "
                + platform.gatewayUrl() + "; logs in " + platform.logDirectory());
        api = new GatewayApi(platform.gatewayUrl());
        adminToken = api.token("admin", ADMIN_PASSWORD);
    }

    @AfterAll
    static void stopPlatform() {
        if (gpuAgent != null) {
            gpuAgent.close();
        }
        if (platform != null) {
            platform.stop();
            System.out.println("Child logs kept in " + platform.logDirectory());
        }
        if (dataDirectory != null) {
            // the logs stay for diagnosis; the database files are the bulk and tell nothing more
            Chromium.deleteTree(dataDirectory.resolve("postgres"));
        }
    }

    @BeforeEach
    void openBrowser() {
        browser = Chromium.open();
        page = new Dashboard(browser.driver(), platform.gatewayUrl());
        current = page;
        currentBrowser = browser;
    }

    @AfterEach
    void closeBrowser() {
        current = null;
        if (browser != null) {
            browser.close();
        }
    }

    @Test
    @Order(1)
    void adminLogsInAndTheOverviewShowsTheWorkersOnline() {
        page.load("/overview");
        page.visible("login-form");
        page.screenshot("login");

        page.type("login-username", "admin");
        page.type("login-password", "not-the-password");
        page.visible("login-submit").click();
        assertThat(page.awaitText("login-error", text -> !text.isBlank())).as("a wrong password is refused")
                .isNotBlank();
        assertThat(page.isShown("whoami")).isFalse();

        page.logIn("admin", ADMIN_PASSWORD);
        assertThat(page.text("whoami")).matches("admin \\((.+, )?admin(, .+)?\\)");
        assertThat(page.isShown("nav-users")).as("admins manage users").isTrue();

        JsonNode local = onlineWorker(platform.localWorker().orElseThrow().id());
        JsonNode capabilities = local.path("capabilities");
        page.awaitText(statValue("workers-online"), "1 / 1"::equals);
        page.awaitText(statValue("fleet-cpus"), String.valueOf(capabilities.path("cpus").asInt())::equals);
        assertThat(capabilities.path("cpus").asInt()).isPositive();
        page.awaitText(statValue("fleet-memory"), memory(capabilities.path("memoryMb").asLong())::equals);
        assertThat(page.text("fleet-memory")).doesNotContain("0 B");
    }

    @Test
    @Order(2)
    void adminCreatesAliceAndBobOnTheUsersPage() {
        page.logIn("admin", ADMIN_PASSWORD);
        page.visible("nav-users").click();
        page.visible("users-table");

        createUser("alice", ALICE_PASSWORD);
        createUser("bob", BOB_PASSWORD);
        page.screenshot("users");

        // a second alice is refused, with the reason on the form
        page.type("user-form-username", "alice");
        page.type("user-form-password", "another-password");
        page.visible("user-form-submit").click();
        assertThat(page.awaitText("user-form-error", text -> !text.isBlank())).isNotBlank();
        assertThat(page.driver().findElements(userRow("alice"))).hasSize(1);
    }

    @Test
    @Order(3)
    void adminCreatesAWorkerSeesItsTokenOnceAndItsAgentsGpu() throws IOException {
        page.logIn("admin", ADMIN_PASSWORD);
        String mark = page.markPage();
        page.visible("nav-workers").click();

        // the local worker: online, with its CPUs and memory as its agent reported them
        String localId = platform.localWorker().orElseThrow().id();
        JsonNode localCapabilities = onlineWorker(localId).path("capabilities");
        page.visible(workerRow(localId));
        assertThat(page.awaitText(workerCell(localId, "worker-status"), "Online"::equals)).isEqualTo("Online");
        assertThat(page.awaitText(workerCell(localId, "worker-cpus"), text -> !text.isBlank()))
                .isEqualTo(String.valueOf(localCapabilities.path("cpus").asInt()));
        assertThat(page.awaitText(workerCell(localId, "worker-memory"), text -> !text.isBlank()))
                .isEqualTo(memory(localCapabilities.path("memoryMb").asLong()));
        String localGpus = page.awaitText(workerCell(localId, "worker-gpus"), text -> !text.isBlank());
        if (localCapabilities.path("gpus").isEmpty()) {
            assertThat(localGpus).isEqualTo("none");
        } else {
            assertThat(localGpus).contains(localCapabilities.path("gpus").get(0).path("model").asString());
        }

        // a new worker: its token and the agent's command line, shown once
        page.visible("create-worker").click();
        page.visible("create-worker-dialog");
        page.type("worker-form-name", "gpu-node-1");
        page.type("worker-form-labels", "gpu");
        page.visible("worker-form-submit").click();
        page.visible("worker-token-dialog");
        String workerId = content(page.visible("worker-id"));
        String token = content(page.visible("worker-token"));
        assertThat(workerId).matches("[0-9a-f-]{36}");
        assertThat(token).startsWith("tmw_");
        assertThat(content(page.visible("worker-command"))).isEqualTo("./taskmesh agent --server "
                + platform.gatewayUrl() + " --worker-id " + workerId + " --token " + token);
        page.screenshot("worker-token");
        page.visible("token-dialog-done").click();
        page.awaitGone("worker-token-dialog");

        page.visible(workerRow(workerId));
        assertThat(page.awaitText(workerCell(workerId, "worker-status"), "Offline"::equals)).isEqualTo("Offline");
        assertThat(page.driver().getPageSource()).as("the token is gone from the page").doesNotContain(token);
        Answer workers = api.get(ApiPaths.WORKERS, adminToken);
        assertThat(workers.status()).isEqualTo(200);
        assertThat(workers.text()).as("the token cannot be read again").doesNotContain(token);

        // an agent started with that token reports its GPU, and the page shows it without being reloaded
        gpuAgent = FakeGpuAgent.start(repository, platform.gatewayUrl(), workerId, token, List.of("gpu"),
                dataDirectory);
        String gpus = page.awaitText(workerCell(workerId, "worker-gpus"), text -> text.contains(FakeGpuAgent.GPU_MODEL));
        assertThat(gpus).as("81559 MiB").isEqualTo("1 × " + FakeGpuAgent.GPU_MODEL + " (79.6 GiB)");
        assertThat(page.awaitText(workerCell(workerId, "worker-status"), "Online"::equals)).isEqualTo("Online");
        assertThat(page.text("worker-cpus")).isNotBlank();
        assertThat(page.isSamePage(mark)).as("updated live, not by loading the page again").isTrue();
        assertThat(gpuAgent.isAlive()).isTrue();
        page.screenshot("workers");
    }

    @Test
    @Order(4)
    void aliceSubmitsATaskWatchesItSucceedLiveAndDownloadsItsOutput() throws IOException {
        Path firstRelease = dataDirectory.resolve("release-1-" + UUID.randomUUID());
        Path secondRelease = dataDirectory.resolve("release-2-" + UUID.randomUUID());
        String script = String.join("\n",
                "echo '::progress 10 Starting'",
                "for i in $(seq 1 1200); do [ -e \"$RELEASE_1\" ] && break; sleep 0.1; done",
                "echo '::progress 40 Working'",
                "echo 'hello from alice'",
                "printf 'forty-two\\n' > \"$TASKMESH_OUTPUT_DIR/out.txt\"",
                "for i in $(seq 1 1200); do [ -e \"$RELEASE_2\" ] && break; sleep 0.1; done",
                "echo 'released'");
        Map<String, Object> input = new LinkedHashMap<>();
        input.put("argv", List.of("bash", "-c", script));
        input.put("env", Map.of("RELEASE_1", firstRelease.toString(), "RELEASE_2", secondRelease.toString()));

        page.logIn("alice", ALICE_PASSWORD);
        assertThat(page.text("whoami")).isEqualTo("alice (user)");
        assertThat(page.isShown("nav-users")).as("only admins manage users").isFalse();
        String mark = page.markPage();

        page.visible("nav-submit").click();
        page.visible("submit-form");
        page.screenshot("submit");
        page.type("submit-type", "command");
        page.paste("submit-input", WireJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(input));
        // the label is a hard requirement: only the local worker (started with it) may run this
        page.type("submit-labels", "local");
        page.type("submit-max-attempts", "1");
        page.visible("submit-button").click();

        String url = page.until(driver -> driver.getCurrentUrl().matches(".*#/tasks/[0-9a-f-]{36}")
                ? driver.getCurrentUrl() : null);
        aliceTaskId = url.substring(url.lastIndexOf('/') + 1);
        assertThat(page.awaitText("task-id", text -> !text.isBlank())).isEqualTo(aliceTaskId);

        // running: progress and log lines arrive live (nothing but the live stream carries the log while it runs)
        page.awaitText("task-status", "Running"::equals);
        page.awaitText("live-status", "Live"::equals);
        Files.writeString(firstRelease, "go");
        page.awaitText("task-progress-text", "40% · Working"::equals);
        page.awaitText("log-panel", text -> text.contains("hello from alice"));
        assertThat(page.text("task-status")).isEqualTo("Running");
        assertThat(page.text("log-panel")).doesNotContain("released");
        assertThat(page.awaitText("task-steps", text -> text.contains("Working"))).as("the open step")
                .contains("Starting").endsWith("running");
        page.fullPageScreenshot("task-running");

        // it ends while the page stays open: the status, the complete log, the steps, the result
        Files.writeString(secondRelease, "go");
        page.awaitText("task-status", "Succeeded"::equals);
        assertThat(page.isSamePage(mark)).as("followed live, not by loading the page again").isTrue();
        page.awaitText("log-note", "Complete log"::equals);
        assertThat(page.text("log-panel")).contains("hello from alice", "released");
        assertThat(page.awaitText("task-steps", text -> text.contains("Working"))).contains("Starting");
        assertThat(page.awaitText("attempt-status", "Succeeded"::equals)).isEqualTo("Succeeded");
        assertThat(page.awaitText("task-progress-text", "100%"::equals)).as("done, whatever it reported last")
                .isEqualTo("100%");

        WebElement outTxt = page.visible(By.cssSelector("[data-testid='file-link'][data-file-name='out.txt']"));
        WebElement archive = page.visible("download-archive");
        page.fullPageScreenshot("task");
        outTxt.click();
        assertThat(downloaded("out.txt")).isEqualTo("forty-two\n".getBytes(StandardCharsets.UTF_8));
        archive.click();
        Map<String, String> entries = unzip(downloaded("task-" + aliceTaskId + ".zip"));
        assertThat(entries).containsEntry("out.txt", "forty-two\n");
        assertThat(entries.get("log.txt")).contains("hello from alice");
        assertThat(page.isSamePage(mark)).isTrue();
    }

    @Test
    @Order(5)
    void aReloadKeepsAliceLoggedInAndLoggingOutEndsTheSession() {
        assertThat(aliceTaskId).as("alice's task, from the test before").isNotNull();
        page.logIn("alice", ALICE_PASSWORD);
        page.visible("nav-tasks").click();
        page.awaitText(taskStatus(aliceTaskId), "Succeeded"::equals);

        page.driver().navigate().refresh();
        page.awaitText("whoami", "alice (user)"::equals);
        page.awaitText(taskStatus(aliceTaskId), "Succeeded"::equals);
        assertThat(page.isShown("login-form")).isFalse();

        page.logOut();
        page.driver().navigate().refresh();
        page.visible("login-form");
        assertThat(page.isShown("whoami")).as("the session cookie is gone").isFalse();
    }

    @Test
    @Order(6)
    void bobCannotSeeAlicesTask() {
        assertThat(aliceTaskId).as("alice's task, from the test before").isNotNull();
        String bobToken = api.token("bob", BOB_PASSWORD);
        Answer bobsTask = api.post(ApiPaths.TASKS, bobToken, Map.of("type", "command",
                "input", Map.of("argv", List.of("true")), "requirements", Map.of("labels", List.of("local"))));
        assertThat(bobsTask.status()).as("%s", bobsTask).isEqualTo(201);
        String bobsTaskId = bobsTask.json().path("id").asString();

        page.logIn("bob", BOB_PASSWORD);
        page.load("/tasks/" + aliceTaskId);
        assertThat(page.awaitText("task-error", text -> !text.isBlank())).contains("belongs to another user");
        assertThat(page.isShown("task-summary")).isFalse();
        assertThat(page.isShown("log-panel")).isFalse();

        page.go("/tasks");
        page.visible(taskRow(bobsTaskId));
        assertThat(page.driver().findElements(By.cssSelector("[data-testid='task-row']")))
                .extracting(row -> row.getDomAttribute("data-task-id"))
                .containsExactly(bobsTaskId);
        assertThat(page.text("page-info")).endsWith("1 task");
    }

    @Test
    @Order(7)
    void theSubmitFormShowsValidationErrorsNextToTheFields() {
        page.logIn("bob", BOB_PASSWORD);
        String bobToken = api.token("bob", BOB_PASSWORD);
        long before = api.get(ApiPaths.TASKS, bobToken).json().path("total").asLong();
        page.visible("nav-submit").click();
        page.visible("submit-form");

        // JSON that does not parse: said as it is typed, and nothing is sent
        page.paste("submit-input", "{\"argv\": [\"echo\", \"hi\"],");
        assertThat(page.awaitText("submit-input-error", text -> !text.isBlank())).startsWith("Not valid JSON");
        page.visible("submit-button").click();
        assertThat(page.text("submit-input-error")).startsWith("Not valid JSON");

        // a command without argv
        page.paste("submit-input", "{\"env\": {\"A\": \"1\"}}");
        page.visible("submit-button").click();
        assertThat(page.awaitText("submit-input-error", text -> !text.isBlank())).contains("argv");

        // the API's own validation, placed at its field
        page.paste("submit-input", "{\"argv\": [\"true\"]}");
        page.awaitGone("submit-input-error");
        page.type("submit-max-attempts", "50");
        page.visible("submit-button").click();
        assertThat(page.awaitText("submit-max-attempts-error", text -> !text.isBlank())).contains("20");
        assertThat(page.isShown("submit-input-error")).isFalse();
        assertThat(page.driver().getCurrentUrl()).endsWith("#/submit");
        page.screenshot("submit-validation");

        assertThat(api.get(ApiPaths.TASKS, bobToken).json().path("total").asLong()).as("nothing was submitted")
                .isEqualTo(before);
    }

    @Test
    @Order(8)
    void adminSeesEveryonesTasksAndTheWholeFleet() {
        // a little history for the pages: tasks that succeed, one that fails, one no worker can take
        String aliceToken = api.token("alice", ALICE_PASSWORD);
        List<String> quick = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            quick.add(submit(aliceToken, Map.of("type", "command", "input",
                    Map.of("argv", List.of("bash", "-c", "echo '::progress 50 Half way'; echo step " + i)))));
        }
        quick.add(submit(aliceToken, Map.of("type", "command", "maxAttempts", 1,
                "input", Map.of("argv", List.of("bash", "-c", "echo 'cannot open input.csv' >&2; exit 3")))));
        String waiting = submit(aliceToken, Map.of("type", "command",
                "input", Map.of("argv", List.of("true")), "requirements", Map.of("labels", List.of("region=mars"))));
        await().atMost(Dashboard.TIMEOUT).pollInterval(Duration.ofMillis(250)).until(() -> quick.stream()
                .allMatch(id -> Set.of("SUCCEEDED", "FAILED")
                        .contains(api.get(ApiPaths.TASKS + "/" + id, aliceToken).json().path("status").asString())));

        page.logIn("admin", ADMIN_PASSWORD);
        page.awaitText(statValue("workers-online"), "2 / 2"::equals);
        page.awaitText(statValue("fleet-gpus"), "1"::equals);
        page.awaitText(By.cssSelector("[data-testid='count-FAILED'] .count"), "1"::equals);
        page.awaitText(By.cssSelector("[data-testid='count-QUEUED'] .count"), "1"::equals);
        page.awaitText(By.cssSelector("[data-testid='count-SUCCEEDED'] .count"),
                text -> text.matches("\\d+") && Integer.parseInt(text) >= 3);
        page.screenshot("overview");

        page.visible("nav-tasks").click();
        page.awaitText(taskStatus(aliceTaskId), "Succeeded"::equals);
        page.awaitText(taskStatus(waiting), "Queued"::equals);
        assertThat(page.driver().findElements(By.cssSelector("[data-testid='task-row'] td[data-label='Owner']")))
                .extracting(WebElement::getText)
                .contains("alice", "bob");
        page.screenshot("tasks");
    }

    // ---- helpers ----

    private static void deleteEvidenceOfEarlierFailures() throws IOException {
        if (!Files.isDirectory(Dashboard.SCREENSHOTS)) {
            return;
        }
        try (Stream<Path> files = Files.list(Dashboard.SCREENSHOTS)) {
            for (Path file : files.filter(f -> f.getFileName().toString().startsWith("failed-")).toList()) {
                Files.delete(file);
            }
        }
    }

    /** The console, and the network events of API and session calls (a request that never ends shows here). */
    private static void saveBrowserLogs(Dashboard failed, Path file) {
        var out = new StringBuilder();
        try {
            for (LogEntry entry : failed.driver().manage().logs().get(LogType.BROWSER)) {
                out.append("console ").append(entry).append('\n');
            }
            for (LogEntry entry : failed.driver().manage().logs().get(LogType.PERFORMANCE)) {
                // passwords (request bodies) and bearer tokens stay out of the file, although of a throwaway platform
                String message = SECRETS.matcher(entry.getMessage()).replaceAll("$1\"(redacted)\"");
                if (message.contains("/ui/session") || message.contains("/api/v1/") || message.contains("loadingFailed")) {
                    out.append(entry.getTimestamp()).append(' ')
                            .append(message, 0, Math.min(message.length(), 1500)).append('\n');
                }
            }
            Files.writeString(file, out);
        } catch (RuntimeException | IOException e) {
            System.err.println("No browser logs of the failure: " + e);
        }
    }

    /** What the gateway and the registry were doing at the failure (jcmd of the running JDK). */
    private static void saveThreadDumps(Path file) {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        var out = new StringBuilder();
        platform.pids().forEach((component, pid) -> {
            if (component == Component.API_GATEWAY || component == Component.WORKER_REGISTRY) {
                try {
                    Process process = new ProcessBuilder(jcmd.toString(), String.valueOf(pid), "Thread.print")
                            .redirectErrorStream(true).start();
                    String dump = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                    process.waitFor(30, TimeUnit.SECONDS);
                    out.append("===== ").append(component).append(" (pid ").append(pid).append(")\n").append(dump);
                } catch (IOException e) {
                    out.append("===== ").append(component).append(": ").append(e).append('\n');
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        try {
            Files.writeString(file, out);
        } catch (IOException e) {
            System.err.println("No thread dumps: " + e);
        }
    }

    private void createUser(String username, String password) {
        page.type("user-form-username", username);
        page.type("user-form-password", password);
        assertThat(page.visible("role-user").isSelected()).as("USER is the default role").isTrue();
        page.visible("user-form-submit").click();
        By row = userRow(username);
        page.visible(row);
        WebElement created = page.driver().findElement(row);
        assertThat(created.findElement(Dashboard.testId("user-roles")).getText()).isEqualTo("USER");
        assertThat(created.findElement(Dashboard.testId("user-enabled")).getText()).isEqualTo("Enabled");
    }

    private static String submit(String token, Map<String, Object> task) {
        Answer answer = api.post(ApiPaths.TASKS, token, task);
        assertThat(answer.status()).as("submit: %s", answer).isEqualTo(201);
        return answer.json().path("id").asString();
    }

    /** The worker as the API lists it, once it is online and has reported its capabilities. */
    private static JsonNode onlineWorker(String id) {
        JsonNode[] found = new JsonNode[1];
        await().atMost(Dashboard.TIMEOUT).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            Answer answer = api.get(ApiPaths.WORKERS, adminToken);
            assertThat(answer.status()).as("%s", answer).isEqualTo(200);
            JsonNode worker = answer.json().values().stream()
                    .filter(candidate -> id.equals(candidate.path("id").asString("")))
                    .findFirst().orElseThrow(() -> new AssertionError("worker " + id + " not in " + answer));
            assertThat(worker.path("status").asString()).as("%s", worker).isEqualTo("ONLINE");
            assertThat(worker.path("capabilities").path("cpus").asInt()).as("%s", worker).isPositive();
            found[0] = worker;
        });
        return found[0];
    }

    /** The file the browser downloaded into its download folder, once complete. */
    private byte[] downloaded(String name) throws IOException {
        Path file = browser.downloads().resolve(name);
        await().atMost(FILE_TIMEOUT).pollInterval(Duration.ofMillis(100)).until(() -> Files.isRegularFile(file)
                && !Files.exists(browser.downloads().resolve(name + ".crdownload")));
        return Files.readAllBytes(file);
    }

    private static By statValue(String testId) {
        return By.cssSelector("[data-testid='" + testId + "'] .stat-value");
    }

    private static By workerRow(String workerId) {
        return By.cssSelector("[data-testid='worker-row'][data-worker-id='" + workerId + "']");
    }

    private static By workerCell(String workerId, String testId) {
        return By.cssSelector("[data-testid='worker-row'][data-worker-id='" + workerId + "'] [data-testid='"
                + testId + "']");
    }

    private static By taskRow(String taskId) {
        return By.cssSelector("[data-testid='task-row'][data-task-id='" + taskId + "']");
    }

    private static By taskStatus(String taskId) {
        return By.cssSelector("[data-testid='task-row'][data-task-id='" + taskId + "'] [data-testid='task-status']");
    }

    private static By userRow(String username) {
        return By.xpath("//tr[@data-testid='user-row'][.//*[@data-testid='user-name' and text()='" + username + "']]");
    }

    /** All of an element's text, as in the DOM (what a copy button copies), not as it wraps on the screen. */
    private static String content(WebElement element) {
        String text = element.getDomProperty("textContent");
        return text == null ? "" : text.strip();
    }

    /** The dashboard's formatMemoryMb: binary units, one decimal (JavaScript's toFixed rounds half up). */
    static String memory(long mebibytes) {
        List<String> units = List.of("B", "KiB", "MiB", "GiB", "TiB");
        BigDecimal value = BigDecimal.valueOf(mebibytes).multiply(BigDecimal.valueOf(1024L * 1024L));
        BigDecimal step = BigDecimal.valueOf(1024);
        int unit = 0;
        while (value.compareTo(step) >= 0 && unit < units.size() - 1) {
            value = value.divide(step);
            unit++;
        }
        String number = unit == 0 ? value.toPlainString() : value.setScale(1, RoundingMode.HALF_UP).toPlainString();
        return number + " " + units.get(unit);
    }

    private static Map<String, String> unzip(byte[] zip) throws IOException {
        Map<String, String> entries = new LinkedHashMap<>();
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
