package dev.taskmesh.contract;

import java.util.Map;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
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

    /**
     * At least the bytes of {@code node} written as JSON, without writing it, to keep a frame of several messages
     * under a size limit: a character of a string or a name takes at most 6 bytes (an escape such as
     * {@code \u001f}), a number or a literal at most its text.
     */
    public static long sizeBound(JsonNode node) {
        if (node.isString()) {
            return 2 + 6L * node.asString().length();
        }
        if (node.isObject()) {
            long bytes = 2;
            for (Map.Entry<String, JsonNode> property : node.properties()) {
                bytes += 4 + 6L * property.getKey().length() + sizeBound(property.getValue());
            }
            return bytes;
        }
        if (node.isArray()) {
            long bytes = 2;
            for (JsonNode element : node) {
                bytes += 1 + sizeBound(element);
            }
            return bytes;
        }
        return node.isNumber() ? node.asString().length() + 1 : 8;
    }

    private WireJson() {
    }
}
