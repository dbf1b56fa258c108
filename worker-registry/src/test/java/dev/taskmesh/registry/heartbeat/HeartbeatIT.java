package dev.taskmesh.registry.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.contract.agent.Capabilities;
import dev.taskmesh.contract.agent.Gpu;
import dev.taskmesh.contract.agent.Heartbeat;
import dev.taskmesh.contract.agent.RunningAttempt;
import dev.taskmesh.contract.agent.WorkerHeartbeats;
import dev.taskmesh.registry.RegistryIntegrationTest;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

class HeartbeatIT extends RegistryIntegrationTest {

    private static final Capabilities GPU_NODE = new Capabilities(16, 65_536,
            List.of(new Gpu(0, "NVIDIA H100", 81_559, "550.54"), new Gpu(1, "NVIDIA H100", 81_559, "550.54")),
            List.of("command", "resize"), List.of("region=eu"), 4, "gpu-01", "0.1.0");
    private static final Capabilities CPU_NODE = new Capabilities(2, 4_096, List.of(), List.of("command"),
            List.of(), 1, "cpu-01", "0.1.0");

    @Autowired
    MeterRegistry meters;

    @Test
    void batchOfHeartbeatsMakesWorkersOnlineWithWhatTheyReported() {
        String admin = adminToken();
        String gpu = register(admin, unique("gpu"));
        String cpu = register(admin, unique("cpu"));
        String silent = register(admin, unique("silent"));
        UUID task = UUID.randomUUID();
        Instant now = now();

        Response answer = internalPost(ApiPaths.INTERNAL_HEARTBEATS, INTERNAL_SECRET, new WorkerHeartbeats(List.of(
                received(gpu, GPU_NODE, List.of(new RunningAttempt(task, 2)), 3, now),
                received(cpu, CPU_NODE, List.of(), 1, now),
                received(UUID.randomUUID().toString(), CPU_NODE, List.of(), 1, now),
                received("not-a-uuid", CPU_NODE, List.of(), 1, now))));

        assertThat(answer.status()).as(answer.body()).isEqualTo(204);
        Map<String, JsonNode> workers = byId(get(ApiPaths.WORKERS, admin).json());
        JsonNode gpuView = workers.get(gpu);
        assertThat(gpuView.get("status").asString()).isEqualTo("ONLINE");
        assertThat(Instant.parse(gpuView.get("lastHeartbeatAt").asString())).isEqualTo(now);
        assertThat(gpuView.get("freeSlots").asInt()).isEqualTo(3);
        JsonNode capabilities = gpuView.get("capabilities");
        assertThat(capabilities.get("cpus").asInt()).isEqualTo(16);
        assertThat(capabilities.get("memoryMb").asLong()).isEqualTo(65_536);
        assertThat(capabilities.get("slots").asInt()).isEqualTo(4);
        assertThat(capabilities.get("hostname").asString()).isEqualTo("gpu-01");
        assertThat(capabilities.get("agentVersion").asString()).isEqualTo("0.1.0");
        assertThat(capabilities.get("taskTypes").valueStream().map(JsonNode::asString))
                .containsExactly("command", "resize");
        assertThat(capabilities.get("gpus")).hasSize(2);
        JsonNode firstGpu = capabilities.get("gpus").get(0);
        assertThat(firstGpu.get("index").asInt()).isZero();
        assertThat(firstGpu.get("model").asString()).isEqualTo("NVIDIA H100");
        assertThat(firstGpu.get("memoryMb").asLong()).isEqualTo(81_559);
        assertThat(firstGpu.get("driverVersion").asString()).isEqualTo("550.54");
        assertThat(gpuView.get("runningTasks")).hasSize(1);
        assertThat(gpuView.get("runningTasks").get(0).get("taskId").asString()).isEqualTo(task.toString());
        assertThat(gpuView.get("runningTasks").get(0).get("attempt").asInt()).isEqualTo(2);

        assertThat(workers.get(cpu).get("status").asString()).isEqualTo("ONLINE");
        assertThat(workers.get(cpu).get("capabilities").get("gpus")).isEmpty();

        JsonNode silentView = get(ApiPaths.WORKERS + "/" + silent, admin).json();
        assertThat(silentView.get("status").asString()).isEqualTo("OFFLINE");
        assertThat(silentView.get("capabilities").isNull()).isTrue();
        assertThat(silentView.get("lastHeartbeatAt").isNull()).isTrue();
        assertThat(silentView.get("runningTasks")).isEmpty();
        assertThat(silentView.get("freeSlots").asInt()).isZero();
    }

    @Test
    void workerWhoseLastHeartbeatIsOlderThanOfflineAfterIsOffline() {
        String admin = adminToken();
        String worker = register(admin, unique("stale"));
        Instant longAgo = now().minus(Duration.ofMinutes(5));

        post(worker, CPU_NODE, 1, longAgo);

        JsonNode view = get(ApiPaths.WORKERS + "/" + worker, admin).json();
        assertThat(view.get("status").asString()).isEqualTo("OFFLINE");
        assertThat(Instant.parse(view.get("lastHeartbeatAt").asString())).isEqualTo(longAgo);
        assertThat(view.get("capabilities").get("hostname").asString()).isEqualTo("cpu-01");
        assertThat(view.get("freeSlots").asInt()).as("an offline worker takes nothing").isZero();

        post(worker, CPU_NODE, 1, now());
        assertThat(get(ApiPaths.WORKERS + "/" + worker, admin).json().get("status").asString()).isEqualTo("ONLINE");
    }

    @Test
    void lateBatchDoesNotOverwriteANewerHeartbeat() {
        String admin = adminToken();
        String worker = register(admin, unique("raced"));
        Instant newer = now();

        post(worker, CPU_NODE, 1, newer);
        post(worker, GPU_NODE, 4, newer.minusSeconds(3));

        JsonNode view = get(ApiPaths.WORKERS + "/" + worker, admin).json();
        assertThat(Instant.parse(view.get("lastHeartbeatAt").asString())).isEqualTo(newer);
        assertThat(view.get("capabilities").get("hostname").asString()).isEqualTo("cpu-01");
    }

    @Test
    void heartbeatsWithoutTheRightSecretAreRefused() {
        String admin = adminToken();
        String worker = register(admin, unique("guarded"));
        var batch = new WorkerHeartbeats(List.of(received(worker, CPU_NODE, List.of(), 1, now())));

        for (String secret : new String[] {null, "wrong-secret"}) {
            Response refused = internalPost(ApiPaths.INTERNAL_HEARTBEATS, secret, batch);
            assertThat(refused.status()).isEqualTo(401);
            assertThat(refused.contentType()).startsWith("application/problem+json");
        }
        // a user's token is no substitute for the secret
        Response withToken = send(request(ApiPaths.INTERNAL_HEARTBEATS, admin)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(batch))));
        assertThat(withToken.status()).isEqualTo(401);
        assertThat(get(ApiPaths.WORKERS + "/" + worker, admin).json().get("status").asString()).isEqualTo("OFFLINE");
    }

    @Test
    void malformedBatchIsABadRequest() {
        Response response = internalPost(ApiPaths.INTERNAL_HEARTBEATS, INTERNAL_SECRET, "{\"heartbeats\": [");
        assertThat(response.status()).isEqualTo(400);
    }

    @Test
    void onlineWorkersAreCountedInTheGauge() {
        String admin = adminToken();
        post(register(admin, unique("counted")), CPU_NODE, 1, now());

        await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                assertThat(meters.get("taskmesh.workers.online").gauge().value()).isGreaterThanOrEqualTo(1));
        Response scrape = get("/actuator/prometheus", null);
        assertThat(scrape.status()).isEqualTo(200);
        assertThat(scrape.body()).contains("taskmesh_workers_online");
    }

    @Test
    void drainedOnlineWorkerIsShownDrainingUntilItsTaskServiceSaysOtherwise() {
        String admin = adminToken();
        String worker = register(admin, unique("drained"));
        Instant first = now();
        Heartbeat heartbeat = new Heartbeat(CPU_NODE, List.of(), 0, first);

        Response drained = internalPost(ApiPaths.INTERNAL_HEARTBEATS, INTERNAL_SECRET, new WorkerHeartbeats(
                List.of(new WorkerHeartbeats.Received(worker, heartbeat, first, true))));
        assertThat(drained.status()).as(drained.body()).isEqualTo(204);
        assertThat(get(ApiPaths.WORKERS + "/" + worker, admin).json().get("status").asString())
                .isEqualTo("DRAINING");
        assertThat(byId(get(ApiPaths.WORKERS, admin).json()).get(worker).get("status").asString())
                .isEqualTo("DRAINING");

        // an older task-service's JSON has no "draining" field: it reads as not drained
        Instant later = first.plusSeconds(1);
        Response older = internalPost(ApiPaths.INTERNAL_HEARTBEATS, INTERNAL_SECRET, """
                {"heartbeats": [{"workerId": "%s", "receivedAt": "%s", "heartbeat": {"capabilities": {"cpus": 2,
                 "memoryMb": 4096, "gpus": [], "taskTypes": ["command"], "labels": [], "slots": 1,
                 "hostname": "cpu-01", "agentVersion": "0.1.0"}, "running": [], "freeSlots": 1,
                 "sentAt": "%s"}}]}""".formatted(worker, later, later));
        assertThat(older.status()).as(older.body()).isEqualTo(204);
        assertThat(get(ApiPaths.WORKERS + "/" + worker, admin).json().get("status").asString()).isEqualTo("ONLINE");
    }

    private void post(String workerId, Capabilities capabilities, int freeSlots, Instant receivedAt) {
        Response answer = internalPost(ApiPaths.INTERNAL_HEARTBEATS, INTERNAL_SECRET, new WorkerHeartbeats(
                List.of(received(workerId, capabilities, List.of(), freeSlots, receivedAt))));
        assertThat(answer.status()).as(answer.body()).isEqualTo(204);
    }

    /** PostgreSQL keeps microseconds; so do the instants these tests compare with what it gives back. */
    private static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.MICROS);
    }

    private static WorkerHeartbeats.Received received(String workerId, Capabilities capabilities,
                                                      List<RunningAttempt> running, int freeSlots, Instant at) {
        return new WorkerHeartbeats.Received(workerId, new Heartbeat(capabilities, running, freeSlots, at), at);
    }

    private String register(String admin, String name) {
        Response created = post(ApiPaths.WORKERS, admin, Map.of("name", name));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        return created.json().get("id").asString();
    }

    private static Map<String, JsonNode> byId(JsonNode list) {
        return list.valueStream().collect(Collectors.toMap(w -> w.get("id").asString(), w -> w));
    }
}
