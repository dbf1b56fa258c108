package dev.taskmesh.contract;

import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/** The JSON mapping of wire messages, for code that runs without Spring (the agent, the launcher, tests). */
public final class WireJson {

    private static final JsonMapper MAPPER = JsonMapper.builder()
            // newer peers may add fields; an older reader ignores them rather than failing
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    public static JsonMapper mapper() {
        return MAPPER;
    }

    private WireJson() {
    }
}
