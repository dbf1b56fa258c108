package dev.taskmesh.support;

import java.util.List;

/**
 * Request patterns a service serves without a token (e.g. the login endpoint). Everything else needs one.
 * Actuator health, info and prometheus and the OpenAPI document are always public.
 */
public record PublicPaths(List<String> patterns) {

    public PublicPaths {
        patterns = List.copyOf(patterns);
    }

    public static PublicPaths of(String... patterns) {
        return new PublicPaths(List.of(patterns));
    }
}
