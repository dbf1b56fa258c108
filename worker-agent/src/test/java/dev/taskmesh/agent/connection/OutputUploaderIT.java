package dev.taskmesh.agent.connection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskmesh.agent.connection.OutputUploader.UploadException;
import dev.taskmesh.agent.execution.OutputFiles;
import dev.taskmesh.contract.agent.OutputFile;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputUploaderIT {

    private static final UUID TASK = UUID.fromString("6f1c2a4e-8b5d-4c1f-9a7e-2d3b4c5d6e7f");

    @TempDir
    Path dir;

    private StubHttpServer server;
    private final AtomicInteger refreshes = new AtomicInteger();
    private OutputUploader uploader;
    private Path output;
    private Path log;

    @BeforeEach
    void start() throws Exception {
        server = new StubHttpServer();
        TokenSource tokens = new TokenSource() {
            @Override
            public String current() {
                return "jwt-" + refreshes.get();
            }

            @Override
            public String refresh() {
                return "jwt-" + refreshes.incrementAndGet();
            }
        };
        uploader = new OutputUploader(HttpClient.newHttpClient(), server.address(), tokens, Duration.ofMillis(10));
        output = Files.createDirectories(dir.resolve("output"));
        Files.createDirectories(output.resolve("sub dir"));
        Files.writeString(output.resolve("result.json"), "{\"ok\":true}");
        Files.writeString(output.resolve("sub dir/a+b.txt"), "data");
        log = Files.writeString(dir.resolve("log.txt"), "line 1\nline 2\n");
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void putsEveryFileThenTheLogWithTheWorkerToken() throws Exception {
        List<OutputFile> uploaded = uploader.upload(TASK, 2, OutputFiles.list(output), log);

        assertThat(uploaded).containsExactly(
                new OutputFile("result.json", 11, OutputFiles.sha256(output.resolve("result.json"))),
                new OutputFile("sub dir/a+b.txt", 4,
                        "3a6eb0790f39ac87c94f3856b2dd2c5d110e6811602261a9a923d3bb23adc8b7"));
        String base = "/api/v1/tasks/" + TASK + "/attempts/2";
        assertThat(server.requests).extracting(StubHttpServer.Request::rawPath).containsExactly(
                base + "/files/result.json", base + "/files/sub%20dir/a%2Bb.txt", base + "/log");
        assertThat(server.requests).allSatisfy(request -> {
            assertThat(request.method()).isEqualTo("PUT");
            assertThat(request.authorization()).isEqualTo("Bearer jwt-0");
        });
        assertThat(server.requests.get(1).contentType()).isEqualTo("application/octet-stream");
        assertThat(server.requests.get(1).text()).isEqualTo("data");
        assertThat(server.requests.get(2).contentType()).startsWith("text/plain");
        assertThat(server.requests.get(2).text()).isEqualTo("line 1\nline 2\n");
    }

    @Test
    void retriesTransientFailuresAndRenewsTheTokenAfter401() throws Exception {
        server.answer(503, "");
        server.answer(401, "");

        uploader.upload(TASK, 1, OutputFiles.list(output), log);

        assertThat(server.requests).hasSize(5);
        assertThat(server.requests.get(2).authorization()).isEqualTo("Bearer jwt-1");
        assertThat(refreshes).hasValue(1);
    }

    @Test
    void givesUpAfterThreeTries() throws Exception {
        server.answer(500, "");
        server.answer(502, "");
        server.answer(503, "{\"title\":\"down\"}");

        assertThatThrownBy(() -> uploader.upload(TASK, 1, OutputFiles.list(output), log))
                .isInstanceOfSatisfying(UploadException.class, e -> {
                    assertThat(e.getMessage()).isEqualTo("could not upload outputs: result.json: HTTP 503 {\"title\":\"down\"}");
                    assertThat(e.retryable()).isTrue();
                    assertThat(e.uploaded()).isEmpty();
                });
        assertThat(server.requests).hasSize(3);
    }

    @Test
    void stopsAtOnceWhenTheAttemptIsStaleOrTheFileTooLarge() throws Exception {
        server.answer(201, "");
        server.answer(413, "");

        assertThatThrownBy(() -> uploader.upload(TASK, 1, OutputFiles.list(output), log))
                .isInstanceOfSatisfying(UploadException.class, e -> {
                    assertThat(e.getMessage()).isEqualTo("could not upload outputs: sub dir/a+b.txt: HTTP 413");
                    assertThat(e.retryable()).isFalse();
                    assertThat(e.uploaded()).extracting(OutputFile::name).containsExactly("result.json");
                });
        assertThat(server.requests).hasSize(2);
    }
}
