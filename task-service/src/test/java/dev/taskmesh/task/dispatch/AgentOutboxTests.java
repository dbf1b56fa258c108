package dev.taskmesh.task.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskmesh.contract.agent.TaskAssignment;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

class AgentOutboxTests {

    private static TaskAssignment assignment(String text) {
        ObjectNode input = JsonNodeFactory.instance.objectNode().put("text", text);
        return new TaskAssignment(UUID.randomUUID(), 1, "noop", input, null, "alice", Instant.now(), Map.of());
    }

    @Test
    void splitsSmallAssignmentsIntoFramesOfAtMostOneHundredInOrder() {
        List<TaskAssignment> assignments = IntStream.range(0, 250).mapToObj(i -> assignment("t" + i)).toList();

        List<List<TaskAssignment>> frames = AgentOutbox.frames(assignments);

        assertThat(frames).extracting(List::size).containsExactly(100, 100, 50);
        assertThat(frames.stream().flatMap(List::stream).toList()).isEqualTo(assignments);
    }

    @Test
    void keepsLargeInputsApartAndSendsOneLargerThanTheBudgetAlone() {
        TaskAssignment small = assignment("x");
        // 100,000 characters may take up to 600,000 bytes: two of them do not fit in one 1 MiB frame
        TaskAssignment large = assignment("y".repeat(100_000));
        TaskAssignment huge = assignment("z".repeat(400_000));

        List<List<TaskAssignment>> frames = AgentOutbox.frames(List.of(small, large, large, huge, small));

        assertThat(frames).containsExactly(List.of(small, large), List.of(large), List.of(huge), List.of(small));
    }
}
