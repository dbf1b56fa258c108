package dev.taskmesh.registry.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskmesh.contract.agent.Capabilities;
import dev.taskmesh.contract.agent.RunningAttempt;
import dev.taskmesh.registry.heartbeat.LastHeartbeat;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class WorkerViewTests {

    private final Worker worker = new Worker("node-1", List.of("ssd"), "hash", Instant.EPOCH, UUID.randomUUID());
    private final Capabilities capabilities = new Capabilities(4, 8192, List.of(), List.of("command"), List.of(), 2,
            "node-1", "0.1.0");
    private final List<RunningAttempt> running = List.of(new RunningAttempt(UUID.randomUUID(), 1));

    @Test
    void workerThatNeverSentAHeartbeatIsOfflineWithoutCapabilities() {
        WorkerView view = WorkerView.from(worker, null);

        assertThat(view.status()).isEqualTo(WorkerStatus.OFFLINE);
        assertThat(view.capabilities()).isNull();
        assertThat(view.lastHeartbeatAt()).isNull();
        assertThat(view.runningTasks()).isEmpty();
        assertThat(view.freeSlots()).isZero();
    }

    @Test
    void onlineWorkerShowsItsFreeSlots() {
        Instant at = Instant.parse("2026-01-01T00:00:00Z");
        WorkerView view = WorkerView.from(worker, new LastHeartbeat(at, capabilities, running, 1, true));

        assertThat(view.status()).isEqualTo(WorkerStatus.ONLINE);
        assertThat(view.lastHeartbeatAt()).isEqualTo(at);
        assertThat(view.capabilities()).isEqualTo(capabilities);
        assertThat(view.runningTasks()).isEqualTo(running);
        assertThat(view.freeSlots()).isEqualTo(1);
    }

    @Test
    void offlineWorkerKeepsWhatItLastSaidButOffersNoSlots() {
        WorkerView view = WorkerView.from(worker, new LastHeartbeat(Instant.EPOCH, capabilities, running, 1, false));

        assertThat(view.status()).isEqualTo(WorkerStatus.OFFLINE);
        assertThat(view.capabilities()).isEqualTo(capabilities);
        assertThat(view.freeSlots()).isZero();
    }

    @Test
    void drainedWorkerIsDrainingWhileOnlineAndOfflineOnceSilent() {
        Instant at = Instant.parse("2026-01-01T00:00:00Z");

        WorkerView online = WorkerView.from(worker, new LastHeartbeat(at, capabilities, running, 0, true, true));
        WorkerView silent = WorkerView.from(worker, new LastHeartbeat(at, capabilities, running, 0, false, true));

        assertThat(online.status()).isEqualTo(WorkerStatus.DRAINING);
        assertThat(online.runningTasks()).isEqualTo(running);
        assertThat(silent.status()).isEqualTo(WorkerStatus.OFFLINE);
    }
}
