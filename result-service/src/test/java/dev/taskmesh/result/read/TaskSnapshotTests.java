package dev.taskmesh.result.read;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskmesh.contract.WireJson;
import org.junit.jupiter.api.Test;

class TaskSnapshotTests {

    private static final String TASK = "{\"id\":\"6f1c2a4e-8b5d-4c1f-9a7e-2d3b4c5d6e7f\",\"status\":\"SUCCEEDED\","
            + "\"attempt\":1,\"workerId\":\"w-1\",\"type\":\"command\"";

    @Test
    void aTaskJsonWithoutOutputHasNoOutput() {
        // the task-service leaves an absent output out of its JSON: then result.json, if uploaded, is the output
        assertThat(read(TASK + "}").output()).isNull();
        assertThat(read(TASK + ",\"output\":null}").output()).isNull();
    }

    @Test
    void readsTheOutputThatCameWithTheCompletion() {
        assertThat(read(TASK + ",\"output\":{\"answer\":42}}").output().get("answer").asInt()).isEqualTo(42);
    }

    private static TaskSnapshot read(String json) {
        return WireJson.mapper().readValue(json, TaskSnapshot.class);
    }
}
