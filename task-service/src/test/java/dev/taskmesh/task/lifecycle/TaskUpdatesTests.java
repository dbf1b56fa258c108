package dev.taskmesh.task.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskmesh.contract.task.TaskStatus;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.messaging.simp.SimpMessagingTemplate;
import tools.jackson.databind.node.JsonNodeFactory;

class TaskUpdatesTests {

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    // nobody subscribes, so nothing is ever sent: a channel that refuses every message proves it
    private final TaskUpdates updates = new TaskUpdates(new SimpMessagingTemplate((message, timeout) -> false),
            new LiveSubscriptions(), meters);

    @Test
    void anAgentClockAheadOfTheServerRecordsAZeroRunTimeNotANegativeOne() {
        Instant finished = Instant.parse("2026-11-22T10:00:00Z");
        updates.onChange(new TaskChanged(succeeded(finished.plusMillis(5), finished), TaskStatus.RUNNING));

        Timer runTime = meters.get("taskmesh.tasks.run.time").timer();
        assertThat(runTime.count()).isEqualTo(1);
        assertThat(runTime.totalTime(TimeUnit.NANOSECONDS)).isZero();
        assertThat(meters.get("taskmesh.tasks.succeeded").counter().count()).isEqualTo(1);
    }

    @Test
    void aRunTimeIsFromTheAgentsStartToTheOutcome() {
        Instant finished = Instant.parse("2026-11-22T10:00:00Z");
        updates.onChange(new TaskChanged(succeeded(finished.minusMillis(250), finished), TaskStatus.RUNNING));

        assertThat(meters.get("taskmesh.tasks.run.time").timer().totalTime(TimeUnit.MILLISECONDS)).isEqualTo(250);
    }

    private static TaskRow succeeded(Instant started, Instant finished) {
        Instant created = finished.minusSeconds(1);
        return new TaskRow(UUID.randomUUID(), "noop", TaskStatus.SUCCEEDED, "u", "u",
                JsonNodeFactory.instance.objectNode(), Requirements.NONE, 0, null, 3, null,
                List.of(), 1, "w1", null, null, created, created, created, started, finished, 2, null, null, null,
                null, null, null);
    }
}
