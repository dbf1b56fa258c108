package dev.taskmesh.task.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskmesh.contract.task.TaskStatus;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.JsonNodeFactory;

class WaitingReasonsTests {

    private static final FleetWorker CPU = worker("cpu", 8, List.of(), List.of("ssd"), List.of("command"), false);
    private static final FleetWorker GPU = worker("gpu", 32, List.of(24_576L, 24_576L), List.of("gpu", "region=eu"),
            List.of("command", "render"), false);

    @Test
    void noReasonWhileSomeWorkerCouldRunIt() {
        assertThat(WaitingReasons.of(task("command", new Requirements(8, 0, 0, 0, List.of("ssd")), List.of()),
                List.of(CPU, GPU))).isNull();
        assertThat(WaitingReasons.of(task("render", new Requirements(0, 0, 2, 24_576, List.of()), List.of()),
                List.of(CPU, GPU))).isNull();
    }

    @Test
    void namesTheRequirementNoWorkerMeets() {
        List<FleetWorker> fleet = List.of(CPU, GPU);
        assertThat(WaitingReasons.of(task("train", Requirements.NONE, List.of()), fleet))
                .isEqualTo("waiting: no online worker offers task type 'train'");
        assertThat(WaitingReasons.of(task("command", new Requirements(0, 0, 0, 0, List.of("gpu", "region=us")),
                List.of()), fleet)).isEqualTo("waiting: no online worker has labels [gpu, region=us]");
        assertThat(WaitingReasons.of(task("command", new Requirements(64, 0, 0, 0, List.of()), List.of()), fleet))
                .isEqualTo("waiting: no online worker has 64 CPUs");
        assertThat(WaitingReasons.of(task("command", new Requirements(0, 1_000_000, 0, 0, List.of()), List.of()),
                fleet)).isEqualTo("waiting: no online worker has 1000000 MiB of memory");
        assertThat(WaitingReasons.of(task("command", new Requirements(0, 0, 2, 81_920, List.of()), List.of()), fleet))
                .isEqualTo("waiting: no online worker has 2 GPUs with 81920 MiB");
        assertThat(WaitingReasons.of(task("command", new Requirements(0, 0, 4, 0, List.of()), List.of()), fleet))
                .isEqualTo("waiting: no online worker has 4 GPUs");
        assertThat(WaitingReasons.of(task("command", Requirements.NONE, List.of("w-x", "w-y")), fleet))
                .isEqualTo("waiting: target workers [w-x, w-y] are not online");
        assertThat(WaitingReasons.of(task("command", Requirements.NONE, List.of()), List.of()))
                .isEqualTo("waiting: no worker is online");
    }

    @Test
    void listsEveryRequirementWhenEachIsMetSomewhereButNotTogether() {
        // the CPU worker has the label, the GPU worker the GPUs
        assertThat(WaitingReasons.of(task("command", new Requirements(0, 0, 1, 0, List.of("ssd")), List.of()),
                List.of(CPU, GPU))).isEqualTo("waiting: no online worker has all of: task type 'command', "
                + "labels [ssd], 1 GPU");
    }

    @Test
    void onlyTheTargetedWorkersCount() {
        assertThat(WaitingReasons.of(task("render", Requirements.NONE, List.of("cpu")), List.of(CPU, GPU)))
                .isEqualTo("waiting: no online target worker offers task type 'render'");
        assertThat(WaitingReasons.of(task("render", Requirements.NONE, List.of("cpu", "gpu")), List.of(CPU, GPU)))
                .isNull();
    }

    @Test
    void saysSoWhenOnlyDrainedWorkersCouldRunIt() {
        FleetWorker drained = worker("gpu", 32, List.of(24_576L), List.of(), List.of("render"), true);
        assertThat(WaitingReasons.of(task("render", Requirements.NONE, List.of()), List.of(CPU, drained)))
                .isEqualTo("waiting: every online worker that can run it is draining");
    }

    private static FleetWorker worker(String id, int cpus, List<Long> gpus, List<String> labels, List<String> types,
                                      boolean draining) {
        return new FleetWorker(id, cpus, 65_536, gpus, labels, types, 4, draining);
    }

    static TaskRow task(String type, Requirements requirements, List<String> targets) {
        Instant now = Instant.now();
        return new TaskRow(UUID.randomUUID(), type, TaskStatus.QUEUED, "u", "u", JsonNodeFactory.instance.objectNode(),
                requirements, 0, null, 3, null, targets, 0, null, null, null, now, now, null, null, null, 0, null,
                null, null, null, null, null);
    }
}
