package dev.taskmesh.gateway.routing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class InternalPathsFilterTests {

    @ParameterizedTest
    @ValueSource(strings = {"/internal", "/internal/", "/internal/v1/heartbeats", "//internal/v1/heartbeats",
            "/api/v1/tasks/../../../internal/v1/heartbeats", "/api/v1/tasks/%2e%2e/%2e%2e/%2e%2e/internal/v1/x",
            "/%69nternal/v1/heartbeats", "/internal;v=1/v1/heartbeats", "/./internal/v1/heartbeats"})
    void recognisesEveryWayOfSpellingAnInternalPath(String path) {
        assertThat(InternalPathsFilter.isInternal(path)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "/api/v1/tasks", "/api/v1/tasks/internal", "/internals", "/api/internal/v1",
            "/api/v1/tasks/../internal"})
    void leavesOtherPathsAlone(String path) {
        assertThat(InternalPathsFilter.isInternal(path)).isFalse();
    }
}
