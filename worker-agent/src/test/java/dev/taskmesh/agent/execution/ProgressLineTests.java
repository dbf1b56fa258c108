package dev.taskmesh.agent.execution;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ProgressLineTests {

    @Test
    void readsPercentAndStage() {
        assertThat(ProgressLine.parse("::progress 40 Resizing images"))
                .contains(new ProgressLine(40, "Resizing images"));
    }

    @Test
    void readsPercentAlone() {
        assertThat(ProgressLine.parse("::progress 0")).contains(new ProgressLine(0, null));
        assertThat(ProgressLine.parse("::progress 100")).contains(new ProgressLine(100, null));
    }

    @Test
    void acceptsAnyWhitespaceBetweenPartsAndTrimsTheStage() {
        assertThat(ProgressLine.parse("::progress\t7   Step two  ")).contains(new ProgressLine(7, "Step two"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"::progress", "::progress ", "::progress abc", "::progress 101", "::progress 1000",
            "::progress -5", "::progress 50%", " ::progress 50", "progress 50", "::Progress 50", "::progress50",
            "echo ::progress 50", "::progress 5.5 Half"})
    void ignoresOtherLines(String line) {
        assertThat(ProgressLine.parse(line)).isEmpty();
    }
}
