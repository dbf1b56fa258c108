package dev.taskmesh.task.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskmesh.contract.agent.TaskProgress;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class ProgressTests {

    private static final UUID TASK = UUID.randomUUID();
    private static final Instant T0 = Instant.parse("2026-01-01T10:00:00Z");

    private static TaskProgress update(Integer percent, String stage, String message, long atMillis) {
        return new TaskProgress(TASK, 1, percent, stage, message, T0.plusMillis(atMillis));
    }

    @Test
    void newStageClosesThePreviousStepWithItsDuration() {
        Progress first = Progress.next(null, update(5, "Download", null, 0));
        Progress second = Progress.next(first, update(40, "Resize", "3 of 8", 1500));

        assertThat(second.percent()).isEqualTo(40);
        assertThat(second.stage()).isEqualTo("Resize");
        assertThat(second.message()).isEqualTo("3 of 8");
        assertThat(second.steps()).hasSize(2);
        assertThat(second.steps().get(0).finishedAt()).isEqualTo(T0.plusMillis(1500));
        assertThat(second.steps().get(0).durationMs()).isEqualTo(1500);
        assertThat(second.steps().get(1).name()).isEqualTo("Resize");
        assertThat(second.steps().get(1).finishedAt()).isNull();
    }

    @Test
    void sameStageOrNoStageKeepsTheOpenStep() {
        Progress first = Progress.next(null, update(5, "Download", null, 0));
        Progress again = Progress.next(first, update(10, "Download", null, 100));
        Progress noStage = Progress.next(again, update(20, null, "still going", 200));

        assertThat(noStage.steps()).hasSize(1);
        assertThat(noStage.steps().getFirst().finishedAt()).isNull();
        assertThat(noStage.stage()).isEqualTo("Download");
        assertThat(noStage.percent()).isEqualTo(20);
    }

    @Test
    void finishingClosesTheOpenStepOnce() {
        Progress running = Progress.next(null, update(null, "Train", null, 0));
        Progress finished = running.finished(T0.plusMillis(2000));

        assertThat(finished.steps().getFirst().durationMs()).isEqualTo(2000);
        assertThat(finished.finished(T0.plusMillis(9000))).isEqualTo(finished);
    }

    @Test
    void boundsStepsAndText() {
        Progress progress = null;
        for (int i = 0; i < Progress.MAX_STEPS + 10; i++) {
            progress = Progress.next(progress, update(null, "stage " + i, "x".repeat(5000), i));
        }
        assertThat(progress.steps()).hasSize(Progress.MAX_STEPS);
        assertThat(progress.message()).hasSize(Progress.MAX_TEXT);
    }
}
