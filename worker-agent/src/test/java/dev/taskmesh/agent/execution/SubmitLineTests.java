package dev.taskmesh.agent.execution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SubmitLineTests {

    @Test
    void readsTheTaskOfASubmitLine() {
        SubmitLine line = SubmitLine.parse(
                "::submit {\"type\": \"command\", \"input\": {\"argv\": [\"echo\", \"hi\"]}, \"priority\": 3}")
                .orElseThrow();

        assertThat(line.task().get("type").asString()).isEqualTo("command");
        assertThat(line.task().get("input").get("argv").get(1).asString()).isEqualTo("hi");
        assertThat(line.task().get("priority").asInt()).isEqualTo(3);
    }

    @Test
    void leavesOrdinaryLinesAlone() {
        assertThat(SubmitLine.parse("submitting {\"type\": \"x\"}")).isEmpty();
        assertThat(SubmitLine.parse(" ::submit {\"type\": \"x\"}")).isEmpty();
        assertThat(SubmitLine.parse("::submitted")).isEmpty();
        assertThat(SubmitLine.parse("::progress 50 Half")).isEmpty();
    }

    @Test
    void refusesASubmitLineWithoutATaskObject() {
        assertThatThrownBy(() -> SubmitLine.parse("::submit {not json")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("not JSON");
        assertThatThrownBy(() -> SubmitLine.parse("::submit [1, 2]")).hasMessageContaining("\"type\"");
        assertThatThrownBy(() -> SubmitLine.parse("::submit {\"type\": 3}")).hasMessageContaining("\"type\"");
    }
}
