package dev.taskmesh.result.upload;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskmesh.result.TestHttp;
import dev.taskmesh.testsupport.TestPostgres;
import dev.taskmesh.testsupport.TestTokens;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class UploadIT {

    private static final TestTokens TOKENS = TestTokens.shared();
    private static final int MAX_FILE = 3 * 1024 * 1024;

    @TempDir
    static Path temp;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        TestPostgres.registerDataSource(registry);
        TOKENS.registerJwks(registry);
        registry.add("taskmesh.results.storage-dir", () -> temp.resolve("results").toString());
        registry.add("taskmesh.results.max-file-size", () -> MAX_FILE + "B");
        registry.add("taskmesh.results.max-log-size", () -> "64KB");
    }

    @LocalServerPort
    int port;

    @Autowired
    JdbcTemplate jdbc;

    @Autowired
    MeterRegistry meters;

    @Autowired
    JsonMapper json;

    TestHttp http;
    UUID taskId;
    String workerId;
    String worker;

    @BeforeEach
    void setUp() {
        http = new TestHttp(port);
        taskId = UUID.randomUUID();
        workerId = UUID.randomUUID().toString();
        worker = TOKENS.worker(workerId);
    }

    @Test
    void storesStreamedFileWithItsSizeAndSha256() throws IOException {
        byte[] content = randomBytes(200_000);
        double before = meters.counter("taskmesh.results.files.uploaded").count();

        HttpResponse<String> response = upload(1, "out.bin", worker, "application/octet-stream", content);

        assertThat(response.statusCode()).isEqualTo(201);
        JsonNode answer = json.readTree(response.body());
        assertThat(answer.get("name").asString()).isEqualTo("out.bin");
        assertThat(answer.get("size").asLong()).isEqualTo(content.length);
        assertThat(answer.get("sha256").asString()).isEqualTo(sha256(content));
        assertThat(Files.readAllBytes(filesDir(1).resolve("out.bin"))).isEqualTo(content);
        assertThat(jdbc.queryForMap("SELECT worker_id, size, sha256 FROM results.output_files"
                + " WHERE task_id = ? AND attempt = 1 AND name = 'out.bin'", taskId))
                .containsEntry("worker_id", workerId)
                .containsEntry("size", (long) content.length)
                .containsEntry("sha256", sha256(content));
        assertThat(meters.counter("taskmesh.results.files.uploaded").count()).isEqualTo(before + 1);
        assertThat(meters.find("taskmesh.results.file.size").summary()).isNotNull();
    }

    @Test
    void keepsTheFoldersOfNestedNames() throws IOException {
        HttpResponse<String> response = upload(2, "images/small/cat%201.png", worker, "image/png", bytes("png"));

        assertThat(response.statusCode()).isEqualTo(201);
        assertThat(json.readTree(response.body()).get("name").asString()).isEqualTo("images/small/cat 1.png");
        assertThat(filesDir(2).resolve("images/small/cat 1.png")).hasContent("png");
    }

    @Test
    void acceptsJsonFilesLargerThanTheJsonRequestLimit() throws IOException {
        // service-support cuts JSON request bodies at 1 MiB; result.json is a file, limited by max-file-size only
        byte[] content = ("[" + "1,".repeat(1_100_000) + "1]").getBytes(StandardCharsets.US_ASCII);

        HttpResponse<String> response = upload(1, "result.json", worker, "application/json", content);

        assertThat(response.statusCode()).isEqualTo(201);
        assertThat(json.readTree(response.body()).get("sha256").asString()).isEqualTo(sha256(content));
        assertThat(Files.size(filesDir(1).resolve("result.json"))).isEqualTo(content.length);
    }

    @Test
    void replacesTheFileWhenTheSameWorkerUploadsTheNameAgain() {
        assertThat(upload(1, "out.txt", worker, "text/plain", bytes("first")).statusCode()).isEqualTo(201);
        HttpResponse<String> again = upload(1, "out.txt", worker, "text/plain", bytes("second"));

        assertThat(again.statusCode()).isEqualTo(201);
        assertThat(filesDir(1).resolve("out.txt")).hasContent("second");
        assertThat(jdbc.queryForList("SELECT sha256 FROM results.output_files WHERE task_id = ?", String.class, taskId))
                .containsExactly(sha256(bytes("second")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"../escaped", "a/../../escaped", "%2e%2e/escaped", "a/%2E%2E/%2e%2e/escaped",
            "/tmp/escaped", "..%2Fescaped", "a%5C..%5Cescaped", "esc*aped", "%00escaped", "."})
    void refusesNamesThatLeaveTheAttemptFolder(String rawName) throws IOException {
        HttpResponse<String> response = upload(1, rawName, worker, "application/octet-stream", bytes("evil"));

        assertThat(response.statusCode()).isEqualTo(400);
        try (Stream<Path> everything = Files.walk(temp)) {
            assertThat(everything.filter(Files::isRegularFile).map(p -> p.getFileName().toString()))
                    .noneMatch(n -> n.contains("escaped"));
        }
        assertThat(temp.getParent().resolve("escaped")).doesNotExist();
        assertThat(rowsOf(taskId)).isZero();
    }

    @Test
    void refusesFileLargerThanTheLimitAndKeepsNothing() throws IOException {
        HttpResponse<String> response = upload(1, "big.bin", worker, "application/octet-stream",
                new byte[MAX_FILE + 1]);

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(filesDir(1).resolve("big.bin")).doesNotExist();
        assertThat(rowsOf(taskId)).isZero();
        assertThat(incoming()).isEmpty();
    }

    @Test
    void refusesChunkedFileLargerThanTheLimitWhileStreamingAndDeletesTheTemporaryFile() throws IOException {
        byte[] content = new byte[MAX_FILE + 100_000];
        // no Content-Length: the limit is found while streaming
        HttpResponse<String> response = http.put(filePath(1, "big.bin"), worker, "application/octet-stream",
                BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(content)));

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(filesDir(1).resolve("big.bin")).doesNotExist();
        assertThat(rowsOf(taskId)).isZero();
        assertThat(incoming()).isEmpty();
    }

    @Test
    void refusesTokensThatAreNotWorkers() {
        assertThat(upload(1, "out.txt", TOKENS.user("u1", "alice"), "text/plain", bytes("x")).statusCode())
                .isEqualTo(403);
        assertThat(upload(1, "out.txt", TOKENS.admin("a1", "root"), "text/plain", bytes("x")).statusCode())
                .isEqualTo(403);
        assertThat(upload(1, "out.txt", null, "text/plain", bytes("x")).statusCode()).isEqualTo(401);
        assertThat(upload(1, "out.txt", TOKENS.forgedAdmin("a1", "root"), "text/plain", bytes("x")).statusCode())
                .isEqualTo(401);
        assertThat(rowsOf(taskId)).isZero();
    }

    @Test
    void refusesAnotherWorkerOnAnAttemptThatHasUploads() {
        assertThat(upload(1, "out.txt", worker, "text/plain", bytes("mine")).statusCode()).isEqualTo(201);
        String stranger = TOKENS.worker(UUID.randomUUID().toString());

        HttpResponse<String> file = upload(1, "other.txt", stranger, "text/plain", bytes("theirs"));
        HttpResponse<String> log = http.put(logPath(1), stranger, "text/plain", BodyPublishers.ofString("theirs"));

        assertThat(file.statusCode()).isEqualTo(409);
        assertThat(log.statusCode()).isEqualTo(409);
        assertThat(filesDir(1).resolve("other.txt")).doesNotExist();
        assertThat(filesDir(1).resolve("out.txt")).hasContent("mine");
        // the next attempt is someone else's run, which the stranger may upload to
        assertThat(upload(2, "other.txt", stranger, "text/plain", bytes("theirs")).statusCode()).isEqualTo(201);
    }

    @Test
    void refusesNameThatClashesWithAFolderOfTheAttempt() {
        assertThat(upload(1, "a", worker, "text/plain", bytes("file")).statusCode()).isEqualTo(201);
        assertThat(upload(1, "b/c", worker, "text/plain", bytes("nested")).statusCode()).isEqualTo(201);

        assertThat(upload(1, "a/x", worker, "text/plain", bytes("x")).statusCode()).isEqualTo(409);
        assertThat(upload(1, "b", worker, "text/plain", bytes("x")).statusCode()).isEqualTo(409);
        assertThat(jdbc.queryForList("SELECT name FROM results.output_files WHERE task_id = ? ORDER BY name",
                String.class, taskId)).containsExactly("a", "b/c");
    }

    @Test
    void refusesAttemptNumbersBelowOne() {
        assertThat(upload(0, "out.txt", worker, "text/plain", bytes("x")).statusCode()).isEqualTo(400);
        assertThat(http.put("/api/v1/tasks/not-a-uuid/attempts/1/files/out.txt", worker, "text/plain",
                BodyPublishers.ofString("x")).statusCode()).isEqualTo(400);
    }

    @Test
    void storesTheLogAndRefusesOneOverItsLimit() throws IOException {
        HttpResponse<String> stored = http.put(logPath(1), worker, "text/plain; charset=utf-8",
                BodyPublishers.ofString("line 1\nline 2\n"));
        HttpResponse<String> tooLarge = http.put(logPath(2), worker, "text/plain",
                BodyPublishers.ofByteArray(new byte[64 * 1024 + 1]));

        assertThat(stored.statusCode()).isEqualTo(204);
        assertThat(filesDir(1).resolveSibling("log.txt")).hasContent("line 1\nline 2\n");
        assertThat(jdbc.queryForObject("SELECT log_size FROM results.attempts WHERE task_id = ? AND attempt = 1",
                Long.class, taskId)).isEqualTo(14L);
        assertThat(tooLarge.statusCode()).isEqualTo(413);
        assertThat(filesDir(2).resolveSibling("log.txt")).doesNotExist();
        assertThat(incoming()).isEmpty();
    }

    private HttpResponse<String> upload(int attempt, String rawName, String token, String type, byte[] content) {
        return http.put(filePath(attempt, rawName), token, type, BodyPublishers.ofByteArray(content));
    }

    private String filePath(int attempt, String rawName) {
        return "/api/v1/tasks/" + taskId + "/attempts/" + attempt + "/files/" + rawName;
    }

    private String logPath(int attempt) {
        return "/api/v1/tasks/" + taskId + "/attempts/" + attempt + "/log";
    }

    private Path filesDir(int attempt) {
        return temp.resolve("results").resolve(taskId.toString()).resolve(Integer.toString(attempt)).resolve("files");
    }

    private List<Path> incoming() throws IOException {
        try (Stream<Path> files = Files.list(temp.resolve("results").resolve(".incoming"))) {
            return files.toList();
        }
    }

    private long rowsOf(UUID task) {
        Long rows = jdbc.queryForObject("SELECT count(*) FROM results.output_files WHERE task_id = ?", Long.class, task);
        return rows == null ? 0 : rows;
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] randomBytes(int size) {
        byte[] bytes = new byte[size];
        new Random(42).nextBytes(bytes);
        return bytes;
    }

    static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
